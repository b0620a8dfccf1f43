"""Raise an error 100,000 frames deep and let Python print the traceback.

Two functions call each other so no frame repeats the one before it: Python
folds consecutive identical frames into "[Previous line repeated N more
times]", and the point is a trace that really holds 100,000 frame lines.
"""

import sys

DEPTH = 100_000


def ping(n):
    if n == 0:
        raise RecursionError(f"gave up at depth {DEPTH}")
    return pong(n - 1)


def pong(n):
    return ping(n - 1)


sys.setrecursionlimit(DEPTH + 1_000)
sys.tracebacklimit = DEPTH + 1_000  # the interpreter prints 1,000 frames unless told otherwise
ping(DEPTH)
