"""``synthgen validate`` for text-line datasets: ocr/gt.txt and ocr/labels.jsonl read back.

gt.txt is read as PaddleOCR reads it (path TAB text); labels.jsonl must agree with it line
for line, and its characters must be the text's grapheme clusters in order: each slices
out of the text at its ``start``, together they cover every non-space character, each box
lies inside the image and inside its word's box, and a word's box is the union of its
characters' boxes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import regex

from synthgen.document_labels import union_box
from synthgen.writers.ocr import GT_FILE, LABELS_FILE

Defect = Callable[[str, str], None]
Record = dict[str, Any]
_CLUSTER = regex.compile(r"\X")


def check_ocr(root: Path, records: list[Record], defect: Defect) -> str:
    gt = _lines(root, GT_FILE, records, defect)
    labels = _lines(root, LABELS_FILE, records, defect)
    chars = 0
    for k, rec in enumerate(records):
        where = f"{GT_FILE}:{k + 1}"
        path, tab, text = gt[k].partition("\t") if k < len(gt) else ("", "", "")
        if not tab:
            defect(where, "not 'image path TAB text'")
            continue
        if path != rec["image"]["file"] or not (root / path).is_file():
            defect(where, f"image {path!r} is not sample {rec['index']}'s {rec['image']['file']}")
        if k < len(labels):
            chars += _check_line(labels[k], text, rec, f"{LABELS_FILE}:{k + 1}", defect)
    return f"ocr: {len(gt)} lines, {chars} character boxes; gt.txt == labels.jsonl"


def _lines(root: Path, rel: str, records: list[Record], defect: Defect) -> list[str]:
    try:
        lines = (root / rel).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        defect(rel, f"unreadable ({err.strerror})")
        return []
    if len(lines) != len(records):
        defect(rel, f"{len(lines)} lines, manifest has {len(records)} samples")
    return lines


def _check_line(line: str, text: str, rec: Record, where: str, defect: Defect) -> int:
    try:
        row = json.loads(line)
        chars, words = row["chars"], row["words"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        defect(where, f"not a labels line ({type(err).__name__}: {err})")
        return 0
    if row.get("text") != text:
        defect(where, f"text {row.get('text')!r} != gt.txt's {text!r}")
    if row.get("image") != rec["image"]["file"]:
        defect(where, f"image {row.get('image')!r} != {rec['image']['file']!r}")
    expected = [(m.start(), m.group()) for m in _CLUSTER.finditer(text) if not m.group().isspace()]
    got = [(c.get("start"), c.get("text")) for c in chars]
    if got != expected:
        defect(where, "chars are not the text's grapheme clusters in order")
        return len(chars)
    size = (rec["image"]["width"], rec["image"]["height"])
    per_word: dict[int, list[Any]] = {}
    for c in chars:
        x0, y0, x1, y1 = c["box"]
        if not (0 <= x0 < x1 <= size[0] and 0 <= y0 < y1 <= size[1]):
            defect(where, f"char {c['text']!r} box {c['box']} leaves the image")
        per_word.setdefault(c.get("word", -1), []).append(tuple(c["box"]))
    if sorted(per_word) != list(range(len(words))):
        defect(where, "every word needs characters, and every character a word")
        return len(chars)
    for k, word in enumerate(words):
        if tuple(word["box"]) != union_box(per_word[k]):
            defect(where, f"word {word['text']!r} box is not the union of its characters'")
    if " ".join(w["text"] for w in words) != text:
        defect(where, "the words joined by spaces are not the text")
    return len(chars)
