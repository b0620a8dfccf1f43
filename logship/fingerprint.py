"""Fingerprint stage: the grouping key of an error.

One Sentry issue per unit of work: **service + exception type + root cause**.

- A typed error groups by ``[service, outermost type, root cause type]``, so a
  ``RuntimeException`` caused by a ``SocketTimeoutException`` and one caused by a
  ``NumberFormatException`` are two issues, and the same failure in two services
  is two issues.
- When the root cause's type says nothing about the failure (``Exception``,
  ``IllegalStateException``, JavaScript's ``Error``, a Go panic with a plain
  string), the place it was raised joins the key: the innermost in-app
  function, with its class or module (``com.shop.OrderService.cancel``), never
  a line number. Otherwise every ``throw new Error(...)`` of a service would
  pile into one issue, the very failure logship exists to fix. The message
  is the weaker key: a status word or a name that no mask knows
  (``cannot be cancelled in status REFUNDED`` / ``DELIVERED``) would split one
  code path into several issues. Only an error without in-app frames falls
  back to its masked message template. The price: two different generic
  errors raised by one function are one issue (see ``docs/rules.md``).
- When the root cause is an operating system's error (``SocketException``,
  ``OSError``), its type is shared by every socket failure and its message is
  the error's name from a small fixed vocabulary (``Connection refused``,
  ``Connection timed out``): the masked message joins the key, so a refused
  connection and a timeout are two issues.
- An exception group (Python's ``ExceptionGroup``, JavaScript's
  ``AggregateError``) adds the sorted types of its members.
- An untyped error (an ERROR line without a trace) groups by
  ``[service, logger, message template]``.

Masked templates keep ids, amounts, timestamps and user names out of the key;
line numbers never enter it (they move with each deploy).
"""

from __future__ import annotations

from logship.mask import DEFAULT_MASKS, MaskInstruction, template
from logship.records import ExceptionInfo, Fingerprinted, Frame, ParsedError, Relation

# Types whose name alone does not say what went wrong.
GENERIC_TYPES: frozenset[str] = frozenset(
    {
        # Java / Kotlin
        "java.lang.Exception",
        "java.lang.RuntimeException",
        "java.lang.Throwable",
        "java.lang.Error",
        "java.lang.IllegalStateException",
        # Python
        "Exception",
        "RuntimeError",
        "BaseException",
        # JavaScript / Node
        "Error",
        "Uncaught",
        # .NET
        "System.Exception",
        "System.ApplicationException",
        "System.InvalidOperationException",
        # Ruby (RuntimeError is Python's name too)
        "StandardError",
        # PHP (its Error is JavaScript's name too)
        "PHP Fatal error",
        # Go: every runtime error (nil map, index out of range) shares runtime.Error
        "panic",
        "runtime.Error",
        "fatal error",
        "errors.errorString",
        "*errors.errorString",
        # Dart: a thrown value whose toString() names no type (logship.parse.dart.UNNAMED_TYPE),
        # and StateError ("Bad state: ..."), Dart's IllegalStateException
        "Object",
        "StateError",
    }
)

# Types that stand for an operating system error: the message names the error.
OS_ERROR_TYPES: frozenset[str] = frozenset(
    {
        "java.net.SocketException",
        "System.Net.Sockets.SocketException",
        "System.ComponentModel.Win32Exception",
        "OSError",
        "IOError",
        "socket.error",
    }
)

# An exception group's type says only that several things failed; its members say what.
GROUP_TYPES: frozenset[str] = frozenset(
    {"ExceptionGroup", "BaseExceptionGroup", "AggregateError", "System.AggregateException"}
)

UNTYPED_MARKER = "<untyped>"


def default_fingerprint(
    error: ParsedError, masks: tuple[MaskInstruction, ...] = DEFAULT_MASKS
) -> tuple[str, ...]:
    """The default grouping key of ``error`` (see the module docstring)."""
    if not error.chain:
        return (error.service, error.logger or UNTYPED_MARKER, template(error.message, masks))
    top, root = error.chain[0], error.chain[-1]
    key = (error.service, top.type, root.type)
    if root.type in GROUP_TYPES:
        members = sorted({exc.type for exc in error.related if exc.relation is Relation.GROUP})
        return (*key, "+".join(members)) if members else key
    if root.type in GENERIC_TYPES:
        frame = error.top_in_app_frame
        if frame is not None and frame.function:
            return (*key, f"at {qualified_function(frame)}")
        return (*key, template(root.message, masks))
    if root.type in OS_ERROR_TYPES:
        return (*key, template(root.message, masks))
    return key


def qualified_function(frame: Frame) -> str:
    """``com.shop.PaymentClient.charge``: the function with its class or module."""
    if frame.module and not frame.function.startswith(frame.module):
        return f"{frame.module}.{frame.function}"
    return frame.function


def message_template(error: ParsedError, masks: tuple[MaskInstruction, ...] = DEFAULT_MASKS) -> str:
    """The masked message that best describes ``error``: the root cause's, else the log's."""
    if error.chain:
        return template(error.chain[-1].message or error.chain[0].message, masks)
    return template(error.message, masks)


def title(error: ParsedError) -> str:
    """A one-line title: ``RuntimeException: boom (caused by SocketTimeoutException)``."""
    if not error.chain:
        return _cut(error.message.strip().split("\n", 1)[0] or "(empty error line)")
    top, root = error.chain[0], error.chain[-1]
    text = _exception_line(top)
    if root is not top:
        text += f" (caused by {short_type(root.type)})"
    return _cut(text)


def fingerprint(
    error: ParsedError, masks: tuple[MaskInstruction, ...] = DEFAULT_MASKS
) -> Fingerprinted:
    """Attach the default fingerprint, title and message template to ``error``."""
    return Fingerprinted(
        error=error,
        fingerprint=default_fingerprint(error, masks),
        title=title(error),
        message_template=message_template(error, masks),
    )


def short_type(exception_type: str) -> str:
    """``java.net.SocketTimeoutException`` -> ``SocketTimeoutException``."""
    return exception_type.rsplit(".", 1)[-1] if " " not in exception_type else exception_type


def _exception_line(exc: ExceptionInfo) -> str:
    first_line = exc.message.strip().split("\n", 1)[0]
    return f"{short_type(exc.type)}: {first_line}" if first_line else short_type(exc.type)


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
