"""Uncaught Python crashes in the shapes log tools' test suites name, one per run.

python3 app.py SHAPE: prints a plain start-up line, then dies of SHAPE (or, for
"printed", prints a traceback with traceback.print_exc() and a plain line after it).
"""
import json
import sys
import traceback


def marker(verb, **fields):
    sys.stdout.flush()
    sys.stderr.flush()
    text = f"@@logship@@ {verb} {json.dumps(fields)}" if fields else f"@@logship@@ {verb}"
    print(text, file=sys.stderr, flush=True)


def plain(run):
    marker("begin", id=f"plain-{run}", error=False, group=None, types=[], logger=None, level_marks_error=False)
    print(f"worker {run} listening on :8080", file=sys.stderr, flush=True)


def crash(run, group, types):
    marker("begin", id=f"crash-{run}", error=True, group=group, types=types, logger=None, level_marks_error=False)


def lookup(settings, key):
    return settings[key]


def load_settings():
    try:
        return lookup({}, "ledger_url")
    except KeyError:
        raise ValueError("settings are incomplete")


def compile_rule(text):
    return compile(text, "rules.cfg", "exec")


def charge_all(orders):
    errors = []
    for order in orders:
        try:
            if order % 2:
                raise ValueError(f"order {order}: bad amount")
            raise TypeError(f"order {order}: no currency")
        except Exception as exc:
            errors.append(exc)
    raise ExceptionGroup("charging failed", errors)


def parse_amount(text):
    return int(text)


def main(shape):
    plain(shape)
    if shape == "during-handling":
        crash(shape, "during-handling", ["ValueError", "KeyError"])
        load_settings()
    elif shape == "syntax-error":
        crash(shape, "syntax-error", ["SyntaxError"])
        compile_rule("total = (amount +\n")
    elif shape == "exception-group":
        crash(shape, "exception-group", ["ExceptionGroup", "ValueError", "TypeError"])
        charge_all([1, 2])
    elif shape == "tuple-args":
        crash(shape, "tuple-args", ["Exception"])
        raise Exception("spam", "eggs")
    elif shape == "printed":
        crash(shape, "printed", ["ValueError"])
        try:
            parse_amount("12x")
        except ValueError:
            traceback.print_exc()
        marker("begin", id="after-printed", error=False, group=None, types=[], logger=None, level_marks_error=False)
        print("hello world, not multiline", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
