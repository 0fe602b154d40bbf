"""Tokens and tags derived from text and spans: offsets exact, boundaries enforced."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.scheme import IOB2, IOBES, Entities

from synthgen.sample import Span, TextSample
from synthgen.text_labels import SpanAlignmentError, _tokenize_by_rules, bioes, iob2, tokenize


def _words(text: str) -> list[str]:
    return [text[s:e] for s, e in tokenize(text)]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Send $70.50 to Anna.", ["Send", "$70.50", "to", "Anna", "."]),
        ("Is Anna's mail a@b.de?", ["Is", "Anna", "'s", "mail", "a@b.de", "?"]),
        ('He said "(hi)"', ["He", "said", '"', "(", "hi", ")", '"']),
        ("l'adresse d'Orléans", ["l'", "adresse", "d'", "Orléans"]),
        ("Faust e.V., Köln", ["Faust", "e.V", ".", ",", "Köln"]),
        ("  spaced   out  ", ["spaced", "out"]),
    ],
)
def test_tokens_cover_every_non_space_character(text, words):
    assert _words(text) == words
    covered = "".join(text[s:e] for s, e in tokenize(text))
    assert covered == "".join(text.split())


# Letters that elide (l', qu'), possessive s, digits, spaces and every punctuation mark the
# rules treat specially, so that both of tokenize's paths are exercised.
_TEXT = st.text(alphabet=list("ablqusSé1 \t\n'’\"([{«„“‘¿¡.,;:!?)]}»”…-@"), max_size=24)


@settings(max_examples=3000, deadline=None)
@given(_TEXT)
def test_the_fast_path_gives_the_rules_tokens(text):
    assert tokenize(text) == _tokenize_by_rules(text)


def test_iob2_tags_decode_to_the_spans_in_seqevals_strict_mode():
    text = "Pay Anna Maria Schmidt 5 € on 1.2.2024"
    spans = [Span(4, 22, "PERSON", "Anna Maria Schmidt"), Span(23, 26, "MONEY", "5 €")]
    tokens = tokenize(text)
    tags = iob2(text, tokens, spans)
    assert tags == ["O", "B-PERSON", "I-PERSON", "I-PERSON", "B-MONEY", "I-MONEY", "O", "O"]
    entities = Entities([tags], IOB2).entities[0]
    assert [(e.tag, tokens[e.start][0], tokens[e.end - 1][1]) for e in entities] == [
        ("PERSON", 4, 22),
        ("MONEY", 23, 26),
    ]


def test_bioes_marks_single_and_last_tokens():
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "I-LOC"]
    out = bioes(tags)
    assert out == ["B-PER", "E-PER", "O", "S-LOC", "B-LOC", "I-LOC", "E-LOC"]
    assert len(Entities([out], IOBES).entities[0]) == 3  # seqeval calls BIOES IOBES


def test_a_span_ending_inside_a_token_is_refused():
    text = "Call Mr. Telltale today"
    with pytest.raises(SpanAlignmentError, match="'Tel'"):
        iob2(text, tokenize(text), [Span(9, 12, "PERSON", "Tel")])


@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ([Span(0, 4, "PERSON", "Anna")], None),
        ([Span(0, 4, "PERSON", "Anne")], "does not slice to its value"),
        ([Span(4, 4, "PERSON", "")], "empty or outside"),
        ([Span(9, 14, "PERSON", "Anna.")], "empty or outside"),
        ([Span(5, 8, "X", "pay"), Span(0, 6, "X", "Anna p")], "overlap"),
    ],
)
def test_a_text_sample_refuses_spans_that_do_not_slice_to_their_value(spans, message):
    if message is None:
        assert TextSample("Anna pays.", spans).spans == spans
        return
    with pytest.raises(ValueError, match=message):
        TextSample("Anna pays.", spans)
