"""Sentence templates: literal text, ``[a|b|c]`` alternatives and ``{slot}`` values.

A template is parsed once into parts; a sample picks one alternative per group and one
value per slot, and the text is built by concatenation, recording each entity's offsets as
it is appended. Nothing is ever found by searching the text ("tel" inside "tell").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TOKEN = re.compile(r"\{([^{}\[\]|]*)\}|\[([^{}\[\]]*)\]|([^{}\[\]|]+)|(.)", re.S)
# A slot may not touch letters or digits: its entity boundary would fall inside a token.
_GLUE_BEFORE = re.compile(r"\w$")
_GLUE_AFTER = re.compile(r"^(?!['’][sS]\b)\w")


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Slot:
    name: str


@dataclass(frozen=True)
class Choice:
    options: tuple[str, ...]


Part = str | Slot | Choice


def parse(text: str) -> tuple[Part, ...]:
    """Parts of a template, literal text NFC-normalized.

    >>> parse("[Hi|Hello] {person}!")
    (Choice(options=('Hi', 'Hello')), ' ', Slot(name='person'), '!')
    """
    parts: list[Part] = []
    for match in _TOKEN.finditer(text):
        slot, choice, literal, stray = match.groups()
        if stray is not None:
            raise TemplateError(
                f"unbalanced or stray '{stray}' in {text!r}: '{{slot}}' inserts a value, "
                "'[a|b]' picks an alternative; these characters have no other use"
            )
        if literal is not None:
            parts.append(_nfc(literal))
        elif choice is not None:
            parts.append(Choice(tuple(_nfc(o) for o in choice.split("|"))))
        else:
            name = slot.strip()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise TemplateError(f"'{{{slot}}}' in {text!r} is not a slot name")
            parts.append(Slot(name))
    _check_slot_edges(parts, text)
    return tuple(parts)


def slots(parts: tuple[Part, ...]) -> list[str]:
    return [p.name for p in parts if isinstance(p, Slot)]


def _check_slot_edges(parts: list[Part], text: str) -> None:
    """Refuses ``{city}er`` and ``x{city}``: the entity would end inside a word."""
    for k, part in enumerate(parts):
        if not isinstance(part, Slot):
            continue
        before = _neighbour_texts(parts, k - 1, last=True)
        after = _neighbour_texts(parts, k + 1, last=False)
        if any(_GLUE_BEFORE.search(t) for t in before) or any(_GLUE_AFTER.search(t) for t in after):
            raise TemplateError(
                f"slot {{{part.name}}} in {text!r} touches a letter or digit; put a space or "
                "punctuation between a slot and the text around it"
            )


def _neighbour_texts(parts: list[Part], k: int, last: bool) -> list[str]:
    """The literal texts that can stand next to a slot: a literal, or any alternative."""
    if not 0 <= k < len(parts):
        return []
    part = parts[k]
    if isinstance(part, str):
        return [part]
    if isinstance(part, Choice):
        return list(part.options)
    return ["x"]  # two slots side by side: always glued


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
