"""Token labels derived from a text sample: tokens with character offsets, IOB2 and BIOES.

Like boxes from pixels, token tags come from the text and its spans after the text is
final, never the other way round. The tokenizer is a fixed, named rule (written into every
output) so that a user can reproduce the tokens: split on whitespace, then peel opening
punctuation off the front, closing punctuation and a possessive 's off the back, and
French elisions (l', d', qu'...) off the front. A span whose boundary falls inside a token
is refused, naming the sample's template: a tag sequence cannot express it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from synthgen.errors import SynthgenError
from synthgen.sample import Span, TextSample

TOKENIZER = "synthgen-whitespace-punct-v1"

_OPENING_CHARS = "\"'([{«„“‘¿¡"
_CLOSING_CHARS = ".,;:!?)]}\"'»“”’…"
_OPENING, _CLOSING = set(_OPENING_CHARS), set(_CLOSING_CHARS)
_ELISION = re.compile(r"(?i)(?:qu|[cdjlmnst])['’](?=\w)")
_CHUNK = re.compile(r"\S+")
_SPAN = re.Match.span
# Most sentences have no apostrophe (no elision, no possessive) and no chunk that starts
# with opening punctuation: the rules then come down to "each chunk is a word up to its
# last character that is not closing punctuation, then one token per closing character",
# which _SIMPLE_TOKEN finds in one pass.
_NOT_SIMPLE = re.compile(rf"(?<!\S)[{re.escape(_OPENING_CHARS)}]|['’]")
_SIMPLE_TOKEN = re.compile(rf"\S(?:\S*[^\s{re.escape(_CLOSING_CHARS)}])?")
# Any character _NOT_SIMPLE looks for, wherever it stands: a plain class search is ~4x
# faster than _NOT_SIMPLE's look-behind, and most sentences have none of them.
_MAYBE_NOT_SIMPLE = re.compile(f"[{re.escape(_OPENING_CHARS)}’]")
# A chunk that needs the rules: it starts with opening punctuation or has an apostrophe.
_NOT_SIMPLE_CHUNK = re.compile(rf"(?<!\S)(?=[{re.escape(_OPENING_CHARS)}]|[^\s'’]*['’])\S+")


class SpanAlignmentError(SynthgenError):
    """An entity boundary falls inside a token."""


@dataclass(frozen=True)
class TextLabels:
    """What text writers receive: the text, its tokens as (start, end) offsets, IOB2 tags
    (one per token), the entity spans, and the sample-level classes and attributes."""

    text: str
    tokens: list[tuple[int, int]]
    tags: list[str]
    spans: list[Span]
    classes: dict[str, str]
    attributes: dict[str, str]


def tokenize(text: str) -> list[tuple[int, int]]:
    """Token offsets [start, end) in ``text``, in order, covering every non-space character.

    >>> [("Anna's (new) car."[s:e]) for s, e in tokenize("Anna's (new) car.")]
    ['Anna', "'s", '(', 'new', ')', 'car', '.']
    """
    if _MAYBE_NOT_SIMPLE.search(text) is None or _NOT_SIMPLE.search(text) is None:
        return list(map(_SPAN, _SIMPLE_TOKEN.finditer(text)))
    # The chunks that need the rules (often one: "Anna's", "l'adresse"), the fast pattern
    # between them.
    tokens: list[tuple[int, int]] = []
    done = 0
    for match in _NOT_SIMPLE_CHUNK.finditer(text):
        start, end = match.span()
        tokens += map(_SPAN, _SIMPLE_TOKEN.finditer(text, done, start))
        _chunk_tokens(text, start, end, tokens)
        done = end
    tokens += map(_SPAN, _SIMPLE_TOKEN.finditer(text, done))
    return tokens


def _tokenize_by_rules(text: str) -> list[tuple[int, int]]:
    """``tokenize`` for any text, applying the rules one whitespace chunk at a time."""
    tokens: list[tuple[int, int]] = []
    for match in _CHUNK.finditer(text):
        _chunk_tokens(text, *match.span(), tokens)
    return tokens


def _chunk_tokens(text: str, start: int, end: int, tokens: list[tuple[int, int]]) -> None:
    """Appends the tokens of the whitespace chunk ``text[start:end]`` to ``tokens``."""
    while start < end and text[start] in _OPENING:
        tokens.append((start, start + 1))
        start += 1
    elision = _ELISION.match(text, start, end)
    if elision:
        tokens.append((start, elision.end()))
        start = elision.end()
    tail: list[tuple[int, int]] = []
    while end > start and text[end - 1] in _CLOSING:
        tail.append((end - 1, end))
        end -= 1
    if end - start > 2 and text[end - 2] in "'’" and text[end - 1] in "sS":
        tail.append((end - 2, end))
        end -= 2
    if end > start:
        tokens.append((start, end))
    tokens.extend(reversed(tail))


def iob2(text: str, tokens: list[tuple[int, int]], spans: list[Span]) -> list[str]:
    """One tag per token: B-X on an entity's first token, I-X on the rest, O elsewhere.

    Raises SpanAlignmentError when a span starts or ends inside a token."""
    tags = ["O"] * len(tokens)
    if not spans:  # intent and sentiment sentences
        return tags
    for span in spans:
        # Tokens are in order and never overlap: (x,) sorts before any token starting at x.
        first = bisect_left(tokens, (span.start,))
        last = bisect_left(tokens, (span.end,), first) - 1  # the last token before its end
        if first == len(tokens) or tokens[first][0] != span.start or tokens[last][1] != span.end:
            raise SpanAlignmentError(
                f"the {span.label} entity {span.value!r} at [{span.start}, {span.end}) does "
                f"not start and end on token boundaries ({TOKENIZER}) in {text!r}"
            )
        tags[first] = f"B-{span.label}"
        if last > first:
            tags[first + 1 : last + 1] = [f"I-{span.label}"] * (last - first)
    return tags


def bioes(tags: list[str]) -> list[str]:
    """IOB2 tags rewritten as BIOES: S-X for one-token entities, E-X on the last token."""
    out = list(tags)
    for k, tag in enumerate(tags):
        ends_here = k + 1 == len(tags) or not tags[k + 1].startswith("I-")
        if tag.startswith("B-") and ends_here:
            out[k] = "S-" + tag[2:]
        elif tag.startswith("I-") and ends_here:
            out[k] = "E-" + tag[2:]
    return out


def token_labels(
    text: str, spans: list[Span]
) -> tuple[list[tuple[int, int]], list[str], list[Span]]:
    """The tokens of ``text``, their IOB2 tags and the spans in text order."""
    tokens = tokenize(text)
    spans = sorted(spans)  # by start: spans never overlap
    return tokens, iob2(text, tokens, spans), spans


def derive_text_labels(sample: TextSample) -> TextLabels:
    tokens, tags, spans = token_labels(sample.text, sample.spans)
    return TextLabels(sample.text, tokens, tags, spans, sample.classes, sample.attributes)
