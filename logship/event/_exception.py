"""The ``exception`` interface of an event: the chain and the related exceptions (an
exception group's members, suppressed ones), linked through ``mechanism``, each with its
frames, cut in the middle to the limits of the level being built.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from logship.records import ExceptionInfo, Frame, ParsedError, Relation
from logship.truncate import trim_middle

from ._placer import EXCEPTION_BYTES, FRAME_BYTES, Placer
from ._settings import ScrubSites

# Exception types printed as "package.Class": split into Sentry's module and type.
_DOTTED_TYPE_LANGUAGES = frozenset({"java", "kotlin", "scala", "python", "dotnet", "csharp"})
_DOTTED_TYPE = re.compile(r"[\w$]+(?:\.[\w$]+)+")
# Types whose instances hold other exceptions: group members attach to these.
_GROUP_TYPE = re.compile(r"(?:ExceptionGroup|AggregateError|AggregateException)\Z")
# A path of the event scrubbed as a whole by the scrubber's own walk.
_FRAMES_OMITTED_PATH = ("exception", "values", "stacktrace", "frames_omitted")

_T = TypeVar("_T")


def exception_values(placer: Placer, error: ParsedError, sites: ScrubSites) -> list[dict[str, Any]]:
    """Chain then related exceptions, outermost first, reversed at the end for Sentry."""
    limits = placer.limits
    handled = error.level != "fatal"
    chain, cut_out = _trim(error.chain, limits.exceptions_head, limits.exceptions_tail)
    entries: list[dict[str, Any]] = []
    for index, exc in enumerate(chain):
        mechanism: dict[str, Any] = {"type": "logship", "handled": handled}
        mechanism["exception_id"] = index
        if index:
            mechanism["parent_id"] = index - 1
            if exc.relation is not None:
                mechanism["source"] = exc.relation.value
        if cut_out and index == cut_out[0]:
            # Its real parent was cut out: say how many links are missing above it.
            mechanism["data"] = {"exceptions_omitted": cut_out[1] - cut_out[0]}
            placer.truncated = True
        entries.append(_exception(placer, exc, mechanism, error.language, sites))

    related = error.related[: limits.related]
    group_parent = next((i for i, exc in enumerate(chain) if _GROUP_TYPE.search(exc.type)), 0)
    members: dict[int, int] = {}
    for exc in related:
        parent = group_parent if exc.relation is Relation.GROUP else 0
        mechanism = {
            "type": "logship",
            "handled": handled,
            "exception_id": len(entries),
            "parent_id": parent,
        }
        if exc.relation is Relation.GROUP:
            # sentry-sdk's naming for the members of an exception group
            mechanism["source"] = f"exceptions[{members.get(parent, 0)}]"
            members[parent] = members.get(parent, 0) + 1
            entries[parent]["mechanism"]["is_exception_group"] = True
        else:
            mechanism["source"] = (exc.relation or Relation.SUPPRESSED).value
        entries.append(_exception(placer, exc, mechanism, error.language, sites))
    if len(error.related) > len(related):
        data = entries[0]["mechanism"].setdefault("data", {})
        data["related_omitted"] = len(error.related) - len(related)
        placer.truncated = True

    entries.reverse()
    return entries


def _exception(
    placer: Placer,
    exc: ExceptionInfo,
    mechanism: dict[str, Any],
    language: str,
    sites: ScrubSites,
) -> dict[str, Any]:
    placer.size += EXCEPTION_BYTES
    name, module = _split_type(exc.type.strip(), language)
    value: dict[str, Any] = {
        "type": placer.put(placer.field_left(name) or "Error", sites.exception_type)
    }
    if module:
        value["module"] = placer.put(placer.field_left(module), sites.exception_module)
    if exc.message:
        value["value"] = placer.put(placer.text(exc.message), sites.exception_value)
    value["mechanism"] = mechanism

    limits = placer.limits
    frames, cut_out = _trim(exc.frames, limits.frames_head, limits.frames_tail)
    omitted: tuple[int, int] | None = None
    if cut_out:
        # Indices count the frames the runtime left out ("... 12 more") first.
        start, end = cut_out
        omitted = (exc.frames_omitted + start, exc.frames_omitted + end)
        placer.truncated = True
    elif exc.frames_omitted:
        omitted = (0, exc.frames_omitted)
    if omitted:
        # Relay drops ``frames_omitted`` from the stacktrace; mechanism data survives.
        mechanism.setdefault("data", {})["frames_omitted"] = list(omitted)
        placer.size += len(str(omitted[0])) + len(str(omitted[1]))
    if frames:
        stacktrace: dict[str, Any] = {"frames": [_frame(placer, frame, sites) for frame in frames]}
        if omitted:
            stacktrace["frames_omitted"] = placer.scrubbed_at(list(omitted), _FRAMES_OMITTED_PATH)
        value["stacktrace"] = stacktrace
    return value


def _frame(placer: Placer, frame: Frame, sites: ScrubSites) -> dict[str, Any]:
    out: dict[str, Any] = {}
    field = placer.limits.field
    if frame.function:
        out["function"] = placer.put_cut(frame.function, field, sites.function)
    if frame.module:
        module = frame.module
        if len(module) > field or not module.isascii():
            module = placer.field_left(module)
        out["module"] = placer.put(module, sites.frame_module)
    if frame.filename:
        filename = frame.filename
        if len(filename) > field or not filename.isascii():
            filename = placer.field_left(filename)
        out["filename"] = placed = placer.put(filename, sites.filename)
        if "/" in filename or "\\" in filename:  # before scrubbing, as always
            if sites.abs_path is sites.filename:
                out["abs_path"] = placed
                placer.size += len(placed) * 12 + 2
            else:  # one of the two is kept
                out["abs_path"] = placer.put(filename, sites.abs_path)
    lineno = frame.lineno
    if lineno is not None and 0 <= lineno < 2**32:
        out["lineno"] = lineno
    out["in_app"] = frame.in_app
    placer.size += FRAME_BYTES
    return out


def _trim(
    items: tuple[_T, ...], head: int, tail: int
) -> tuple[tuple[_T, ...], tuple[int, int] | None]:
    """:func:`trim_middle` as (items kept, indices left out), with no record to build
    when nothing is left out (nearly always)."""
    if len(items) <= head + tail:
        return items, None
    trimmed = trim_middle(items, head, tail)
    return trimmed.items, trimmed.omitted


def _split_type(type_: str, language: str) -> tuple[str, str]:
    """(type, module): ``java.net.Timeout`` becomes (``Timeout``, ``java.net``).

    As Sentry's own SDKs report them, only for languages whose types are dotted
    paths (a Ruby ``A::B`` or a Go ``*errors.errorString`` stays whole).
    """
    if language in _DOTTED_TYPE_LANGUAGES and _DOTTED_TYPE.fullmatch(type_):
        module, _, name = type_.rpartition(".")
        return name, module
    return type_, ""
