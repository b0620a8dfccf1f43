"""Raise a chain of 1,000 exceptions, each ``raise ... from`` the one before it."""

import sys

DEPTH = 1_000


def fail(level, cause):
    raise RuntimeError(f"level {level} failed") from cause


def main():
    try:
        raise ConnectionError("database unreachable")
    except ConnectionError as exc:
        error = exc
    for level in range(1, DEPTH):
        try:
            fail(level, error)
        except RuntimeError as exc:
            error = exc
    raise error


sys.setrecursionlimit(10 * DEPTH)  # printing a chain recurses once per link
main()
