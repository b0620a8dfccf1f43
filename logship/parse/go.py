"""Go panics, fatal errors and logged goroutine stacks.

What the Go runtime prints when a panic is not recovered::

    panic: runtime error: index out of range [5] with length 3 [recovered]
    \tpanic: cleanup failed
    [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x48105e]

    goroutine 1 [running]:
    main.pickWarehouse(...)
    \t/app/main.go:7
    main.main()
    \t/app/main.go:13 +0x1d
    exit status 2

and the same stack after a log line when ``net/http`` recovers a handler's
panic (``http: panic serving 127.0.0.1:55218: <value>``) or when a service logs
``debug.Stack()`` itself. Only the first goroutine is read: it is the one that
panicked (a fatal error prints every goroutine after it).

Exception types, since Go prints a panic's value and not its type:

- ``panic: runtime error: X`` -> type ``runtime.Error``, message ``X``;
- ``panic: (*main.T) 0xc000012345`` (a value Go cannot print) -> type ``*main.T``;
- ``panic: main.Code(3)`` (a named basic type) -> type ``main.Code``, message ``3``;
- ``fatal error: X`` (not recoverable: deadlock, concurrent map writes, stack
  overflow) -> type ``fatal error``;
- anything else (a string, an error's ``Error()`` text) -> type ``panic``.

A panic raised while another was being handled (``panic: A [recovered]`` then
``\\tpanic: B``) gives the chain ``(B, A)``: B ended the program, A is its
context; the goroutine's frames belong to B.
"""

from __future__ import annotations

from logship.records import ExceptionInfo, Frame, Relation, Trace

from ._lazy import LazyPattern
from ._limits import FrameWindow, chain_window
from .line import message_before

__all__ = ["MARKER", "parse"]

MARKER = r"^panic: |^fatal error: |^goroutine \d+ (?:[a-z]+=\S+ )*\["

_MAX_MESSAGE_LINES = 50

# Go 1.23+ with GOTRACEBACK=system adds "gp=0x... m=0 mp=0x..." before the status.
_GOROUTINE = LazyPattern(r"goroutine \d+ (?:[a-z]+=\S+ )*\[[^\]]*\]:$")
_RECOVERED = LazyPattern(r" \[recovered(?:, [a-z]+)*\]$")
_UNPRINTABLE = LazyPattern(r"\((?P<type>[^()\s]+)\) (?P<value>.*)$")  # "(*main.T) 0xc000010000"
_NAMED_BASIC = LazyPattern(r"(?P<type>[\w./*]+)\((?P<value>.*)\)$")  # 'main.Code(3)'
_ADDRESS = LazyPattern(r"0x[0-9a-f]+$")
_PANIC_SERVING = LazyPattern(r"panic serving \S+: ")
_ELIDED = LazyPattern(r"\.\.\.(\d+) frames elided\.\.\.")  # Go 1.21+; 1.19 says "additional"

# Module-path roots of Go's standard library and of x/ and Google's libraries.
_STD_ROOTS = frozenset(
    (
        *("archive", "bufio", "builtin", "bytes", "cmp", "compress", "container", "context"),
        *("crypto", "database", "debug", "embed", "encoding", "errors", "expvar", "flag", "fmt"),
        *("go", "hash", "html", "image", "index", "internal", "io", "iter", "log", "maps"),
        *("math", "mime", "net", "os", "path", "plugin", "reflect", "regexp", "runtime"),
        *("slices", "sort", "strconv", "strings", "sync", "syscall", "testing", "text", "time"),
        *("unicode", "unique", "unsafe", "vendor"),
    )
)
_NOT_APP_ROOTS = ("golang.org/x/", "google.golang.org/", "cloud.google.com/go/")
_NOT_APP_PATHS = ("/go/pkg/mod/", "/vendor/", "/usr/local/go/src/", "/usr/lib/go")


def parse(text: str) -> Trace | None:
    """The Go panic (or logged goroutine stack) in ``text``, or None."""
    # Every stack read here starts at a goroutine header, which parse looks for
    # line by line: a text without the word (most, in a batch) is turned away unsplit.
    if "goroutine " not in text:
        return None
    return _parse(text)


def _parse(text: str) -> Trace | None:
    lines = text.splitlines()
    goroutine = next((i for i, line in enumerate(lines) if _GOROUTINE.match(line)), None)
    if goroutine is None:
        return None
    panics, first_panic = _panics(lines[:goroutine])
    log_message = message_before(lines[:first_panic], skip=_is_runtime_diagnostic)
    if not panics:
        # No "panic:" line: net/http's recovered panic, or a logged debug.Stack().
        value = log_message.rsplit("\n", 1)[-1]
        serving = _PANIC_SERVING.search(value)
        panics = [_typed("panic", value[serving.end() :] if serving else value)]
    frames, omitted = _frames(lines, goroutine + 1)
    chain = [
        ExceptionInfo(type=exc_type, message=message, relation=Relation.CONTEXT)
        for exc_type, message in reversed(panics)
    ]
    chain[0] = ExceptionInfo(
        type=chain[0].type, message=chain[0].message, frames=frames, frames_omitted=omitted
    )
    return Trace(language="go", chain=tuple(chain), message=log_message)


def _panics(lines: list[str]) -> tuple[list[tuple[str, str]], int]:
    """The (type, message) of each panic line, first raised first, and where they start.

    Of more than :data:`~._limits.MAX_EXCEPTIONS` panics the first raised (the
    root cause) and the last (what ended the program) are kept, as many of each.
    """
    panics: FrameWindow[tuple[str, list[str]]] = chain_window()
    first = len(lines)
    continuing = False  # lines after a panic line continue its value, up to a blank line
    for index, line in enumerate(lines):
        nested = line.startswith("\t")  # "\tpanic: B" after "panic: A [recovered]"
        kind, _, value = line.lstrip("\t").partition(": ")
        started = panics.count > 0
        if (kind == "panic" and (started or not nested)) or (kind == "fatal error" and not nested):
            if not started:
                first = index
            panics.add((kind, [_RECOVERED.sub("", value)]))
            continuing = True
        elif not line.strip() or line.startswith("[signal "):
            continuing = continuing and bool(line.strip())
        elif continuing and len(panics.latest[1]) < _MAX_MESSAGE_LINES:
            panics.latest[1].append(line)
    return [_typed(kind, "\n".join(parts)) for kind, parts in panics.kept()], first


def _typed(kind: str, value: str) -> tuple[str, str]:
    """(exception type, message) of one panic value; see the module docstring."""
    value = value.strip()
    if kind == "fatal error":
        return "fatal error", value
    if value.startswith("runtime error: "):
        return "runtime.Error", value[len("runtime error: ") :]
    unprintable = _UNPRINTABLE.match(value)
    if unprintable:
        shown = unprintable["value"]
        return unprintable["type"], "" if _ADDRESS.match(shown) else shown
    named = _NAMED_BASIC.match(value)
    if named and "." in named["type"] and "/" not in named["value"]:
        return named["type"], named["value"].strip('"')
    return "panic", value


def _frames(lines: list[str], start: int) -> tuple[tuple[Frame, ...], int]:
    """The frames of the goroutine block at ``start``, in Sentry order, and the count cut."""
    printed: FrameWindow[tuple[str, str]] = FrameWindow()
    omitted = 0
    index = start
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or _GOROUTINE.match(line):
            break
        if line.startswith("..."):
            elided = _ELIDED.match(line)
            omitted += int(elided.group(1)) if elided else 0
            continue
        if line.startswith("\t"):
            continue  # a file line without its function line: skip it
        if not (line.endswith(")") or line.startswith("created by ")):
            break  # not a frame: the stack has ended ("exit status 2", a log line)
        location = ""
        if index < len(lines) and lines[index].startswith("\t"):
            location = lines[index].strip()
            index += 1
        printed.add((line, location))
    kept = printed.kept()
    # Above the last "panic(" Go prints the deferred calls that ran while it panicked (a
    # recover that panics again, net/http's handler): not where it failed. Counted as not
    # in-app, the failing call below is the innermost in-app frame, so a shared
    # recover-and-repanic wrapper does not key every panic of a service on itself.
    unwinding = max((i for i, (call, _) in enumerate(kept) if call.startswith("panic(")), default=0)
    # Go prints the panicking frame first.
    frames = tuple(
        _frame(call, location, deferred=index < unwinding)
        for index, (call, location) in reversed(list(enumerate(kept)))
    )
    return frames, omitted + printed.omitted


def _frame(call: str, location: str, *, deferred: bool = False) -> Frame:
    if call.startswith("created by "):
        # "created by main.main in goroutine 1" (Go 1.21+): where the goroutine was started.
        call = call[len("created by ") :].split(" in goroutine ", 1)[0]
    elif call.endswith(")"):
        call = call[: call.rfind("(")]  # the arguments: "(0xc000010000, 0x3)" or "(...)"
    package, function = _split_function(call)
    filename, lineno = _location(location)
    return Frame(
        function=function,
        module=package,
        filename=filename,
        lineno=lineno,
        in_app=not deferred and is_in_app(package, filename),
    )


def _split_function(name: str) -> tuple[str, str]:
    """``example.com/shop/orders.(*Service).Import.func1`` -> (package, function)."""
    slash = name.rfind("/")
    dot = name.find(".", slash + 1)
    if dot < 0:
        return "", name  # a builtin: "panic"
    return name[:dot], name[dot + 1 :]


def _location(location: str) -> tuple[str, int | None]:
    """``/app/main.go:13 +0x1d fp=... sp=...`` -> ("/app/main.go", 13)."""
    path = location.split(" +0x", 1)[0].split(" fp=", 1)[0]
    filename, _, number = path.rpartition(":")
    if not filename or not number.isdigit():
        return path, None
    return filename, int(number)


def is_in_app(package: str, filename: str = "") -> bool:
    """Whether a frame is the service's code: not the standard library, a module cache or vendor."""
    if filename and any(part in filename for part in _NOT_APP_PATHS):
        return False
    if package.startswith(_NOT_APP_ROOTS):
        return False
    root = package.split("/", 1)[0]
    return bool(package) and (package == "main" or root not in _STD_ROOTS)


def _is_runtime_diagnostic(line: str) -> bool:
    return line.startswith("runtime: ")  # "runtime: goroutine stack exceeds ..."
