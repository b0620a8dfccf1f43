"""The scrubber's prefilter: cheap tests that tell a pattern cannot match a text.

Each :class:`~logship.secret_patterns.ScrubPattern` has a trigger, a small regex
in lower case that finds something in the folded text wherever the pattern
would replace something. Most strings (frame fields, names) hold no secret: a
few substring searches, rather than a dozen regexes, say so. To search a
trigger that way, :func:`branches` splits it into its top-level alternatives
with a small regex parser of its own, and each alternative led by a word is
searched only in a text that holds the word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

__all__ = ["Trigger", "branches", "finds", "fold"]


# Characters outside ASCII that ``re``'s IGNORECASE takes for an ASCII letter
# (U+0130 and U+0131 for "i", U+017F for "s", U+212A for "k"): a (?i) pattern
# matches "pa\u017f\u017fword", so the folded text a trigger sees must read "password".
# The tests check this list against every code point.
_FOLD = (("\u0130", "i"), ("\u0131", "i"), ("\u017f", "s"), ("\u212a", "k"))


def fold(text: str) -> str:
    """``text`` as triggers see it: lower case, and every letter ``re`` matches
    case-insensitively with an ASCII letter written as that letter."""
    if text.isascii():
        return text.lower()
    # Four character searches and (rarely) a replace: str.translate with a table
    # looks up every character of a non-ASCII string in a dict.
    for char, letter in _FOLD:
        if char in text:
            text = text.replace(char, letter)
    return text.lower()


# A regex that is nothing but a word: "bearer", "@", "-----begin", "://".
_WORD = re.compile(r"[a-z0-9_@ :/-]+")


def branches(trigger: str) -> list[str]:
    """The top-level alternatives of a regex: ``"a|b(c|d)|[|]"`` -> ``["a", "b(c|d)", "[|]"]``."""
    if re.match(r"\(\?[aiLmsux]+\)", trigger):
        return [trigger]  # global flags apply to every branch: keep them together
    branches, start, depth, index, in_class = [], 0, 0, 0, False
    while index < len(trigger):
        char = trigger[index]
        if char == "\\":
            index += 1  # the escaped character is never syntax
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if trigger[index + 1 : index + 2] == "^":
                index += 1
            if trigger[index + 1 : index + 2] == "]":
                index += 1  # "[]...]", "[^]...]": a leading "]" is a member
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(trigger[start:index])
            start = index + 1
        index += 1
    branches.append(trigger[start:])
    return branches


class Trigger:
    """One trigger, as the test of a folded text: does the trigger find anything?

    Searching each top-level alternative on its own finds something exactly when
    the whole regex does, and faster: a plain word is a ``str`` substring search;
    a branch that starts with a word (``token\\s*=``) is searched only in a text
    that holds the word. ``gate``, when given, is checked first.
    """

    __slots__ = ("gate", "led", "searches", "words")

    def __init__(self, trigger: str, gate: Callable[[str], bool] | None) -> None:
        words: list[str] = []
        led: list[tuple[str, Callable[[str], object]]] = []
        searches: list[Callable[[str], object]] = []
        for branch in branches(trigger):
            word = _leading_word(branch)
            if word == branch:
                words.append(word)
            elif word:
                led.append((word, re.compile(branch).search))
            else:
                searches.append(re.compile(branch).search)
        self.words, self.led, self.searches = tuple(words), tuple(led), tuple(searches)
        self.gate = gate

    def __call__(self, folded: str) -> bool:
        if self.gate is not None and not self.gate(folded):
            return False
        return finds(self.words, self.led, self.searches, folded)


def _leading_word(branch: str) -> str:
    """The literal text every match of ``branch`` starts with ("" when unknown)."""
    match = _WORD.match(branch)
    if match is None:
        return ""
    word = match.group()
    if branch[len(word) : len(word) + 1] in ("?", "*", "+", "{"):
        word = word[:-1]  # "credentials?": the quantifier applies to the last letter
    return word


def finds(
    words: Sequence[str],
    led: Sequence[tuple[str, Callable[[str], object]]],
    searches: Sequence[Callable[[str], object]],
    folded: str,
) -> bool:
    """Whether a word is in ``folded``, or a word-led search or a search finds something."""
    # Loops rather than any(): no generator to create on every call.
    for word in words:
        if word in folded:
            return True
    for word, search in led:
        if word in folded and search(folded) is not None:
            return True
    for search in searches:  # noqa: SIM110
        if search(folded) is not None:
            return True
    return False
