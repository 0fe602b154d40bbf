"""``synthgen validate`` for text corpora: every format read back against the manifest.

The reference is each sample's text and entity spans as the manifest records them. JSONL
spans must slice the text to their strings; CoNLL tags must decode (seqeval, strict mode)
to the same entities over the same tokens; the spaCy DocBin must hold the same text and
entities; the Hugging Face ids must decode through the card's class names.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Defect = Callable[[str, str], None]
Entity = tuple[str, int, int]


def check_text(
    root: Path, formats: list[str], records: list[dict[str, Any]], defect: Defect
) -> str:
    """Checks every text format in ``formats``; returns a one-line summary."""
    truth = [[(label, s, e) for s, e, label in rec["text"]["spans"]] for rec in records]
    checks = {"jsonl": _jsonl, "conll": _conll, "spacy": _spacy, "hf": _hf}
    done = []
    for name in formats:
        try:
            if name in checks and checks[name](root, records, truth, defect):
                done.append(name)
        except OSError as err:  # a missing or unreadable file
            defect(name, f"cannot be read: {err}")
    return f"text: {len(records)} samples; entities read back from {', '.join(done) or 'nothing'}"


def _jsonl(
    root: Path, records: list[dict[str, Any]], truth: list[list[Entity]], defect: Defect
) -> bool:
    where = "jsonl/data.jsonl"
    lines = _lines(root / where, len(records), defect)
    for k, (line, expected) in enumerate(zip(lines, truth, strict=False)):
        row = json.loads(line)
        text = row["text"]
        for span in row["spans"]:
            if text[span["start"] : span["end"]] != span["text"] or span["end"] <= span["start"]:
                defect(f"{where}:{k + 1}", f"span {span} does not slice to its text")
        spans = [(s["label"], s["start"], s["end"]) for s in row["spans"]]
        if spans != expected:
            defect(f"{where}:{k + 1}", f"spans {spans} != manifest {expected}")
        if [text[s:e] for s, e in row["token_offsets"]] != row["tokens"]:
            defect(f"{where}:{k + 1}", "token offsets do not slice to the tokens")
    return True


def _conll(
    root: Path, records: list[dict[str, Any]], truth: list[list[Entity]], defect: Defect
) -> bool:
    from seqeval.scheme import IOB2, IOBES, Entities

    where = "conll/train.conll"
    info = json.loads((root / "conll" / "info.json").read_text(encoding="utf-8"))
    scheme = IOBES if info.get("scheme") == "bioes" else IOB2
    sentences = _conll_sentences(root / where)
    if len(sentences) != len(records):
        defect(where, f"{len(sentences)} sentences, manifest has {len(records)} samples")
    for k, (sentence, rec, expected) in enumerate(zip(sentences, records, truth, strict=False)):
        offsets = rec["text"]["tokens"]
        words = [rec["text"]["text"][s:e] for s, e in offsets]
        if [w for w, _ in sentence] != words:
            defect(f"{where} sentence {k + 1}", "tokens differ from the manifest's")
            continue
        tags = [t for _, t in sentence]
        try:
            found = Entities([tags], scheme).entities[0]
        except Exception as err:  # seqeval raises plain exceptions on invalid tags
            defect(f"{where} sentence {k + 1}", f"tags do not decode: {err}")
            continue
        got = [(e.tag, offsets[e.start][0], offsets[e.end - 1][1]) for e in found]
        if got != expected:
            defect(f"{where} sentence {k + 1}", f"entities {got} != manifest {expected}")
    return True


def _conll_sentences(path: Path) -> list[list[tuple[str, str]]]:
    sentences: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-DOCSTART-"):
            continue
        if line:
            word, tag = line.rsplit(" ", 1)
            current.append((word, tag))
        elif current:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return sentences


def _spacy(
    root: Path, records: list[dict[str, Any]], truth: list[list[Entity]], defect: Defect
) -> bool:
    try:
        import spacy
        from spacy.tokens import DocBin
    except ImportError:
        return False  # nothing to read it with; the writer refuses to run without spaCy
    where = "spacy"
    vocab = spacy.blank("xx").vocab
    info = json.loads((root / where / "info.json").read_text(encoding="utf-8"))
    files = info.get("files", ["train.spacy"])  # one file before docs_per_file
    docs: list[Any] = []  # spaCy Docs
    for name in files:
        if not (root / where / name).is_file():
            defect(f"{where}/{name}", "missing")
            continue
        docs += DocBin().from_disk(root / where / name).get_docs(vocab)
    if len(docs) != len(records):
        defect(where, f"{len(docs)} docs, manifest has {len(records)} samples")
    for k, (doc, rec, expected) in enumerate(zip(docs, records, truth, strict=False)):
        if doc.text != rec["text"]["text"]:
            defect(f"{where} doc {k}", "text differs from the manifest's")
        got = [(e.label_, e.start_char, e.end_char) for e in doc.ents]
        if got != expected:
            defect(f"{where} doc {k}", f"entities {got} != manifest {expected}")
    return True


def _hf(
    root: Path, records: list[dict[str, Any]], truth: list[list[Entity]], defect: Defect
) -> bool:
    card = (root / "hf" / "README.md").read_text(encoding="utf-8")
    features = {
        f["name"]: f for f in yaml.safe_load(card.split("---\n")[1])["dataset_info"]["features"]
    }
    tag_names = features["ner_tags"]["sequence"]["class_label"]["names"]
    where = "hf/train.jsonl"
    for k, (line, rec) in enumerate(
        zip(_lines(root / where, len(records), defect), records, strict=False)
    ):
        row = json.loads(line)
        if set(row) != set(features):
            defect(f"{where}:{k + 1}", f"columns {sorted(row)} != card {sorted(features)}")
        if [tag_names[str(t)] for t in row["ner_tags"]] != rec["text"]["tags"]:
            defect(f"{where}:{k + 1}", "ner_tags do not decode to the manifest's tags")
        for task, label in rec["text"]["classes"].items():
            names = features[task]["dtype"]["class_label"]["names"]
            if names.get(str(row[task])) != label:
                defect(f"{where}:{k + 1}", f"{task} id {row[task]} is not '{label}'")
    return True


def _lines(path: Path, expected: int, defect: Defect) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    if len(lines) != expected:
        defect(path.name, f"{len(lines)} lines, manifest has {expected} samples")
    return lines
