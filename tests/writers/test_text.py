"""Text formats read back with their reference readers (seqeval, spaCy, YAML + JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from seqeval.scheme import IOB2, IOBES, Entities

from synthgen.recipe import build_recipe
from synthgen.run import generate_dataset
from tests.generators.text.conftest import text_recipe


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("text") / "out"
    formats = {"jsonl": {}, "conll": {"scheme": "bioes", "docstart": True}, "hf": {}}
    try:
        import spacy  # noqa: F401

        formats["spacy"] = {"docs_per_file": 7}  # 7 + 7 + ... : several files
    except ImportError:
        pass
    data = text_recipe() | {"output": {"formats": formats}}
    generate_dataset(build_recipe(data, base_dir=root.parent), root, workers=1, progress=False)
    return root


def _records(root: Path) -> list[dict]:
    text = (root / "jsonl" / "data.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _conll(path: Path) -> list[list[tuple[str, str]]]:
    sentences, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-DOCSTART-"):
            continue
        if not line:
            if current:
                sentences.append(current)
            current = []
            continue
        word, tag = line.rsplit(" ", 1)
        current.append((word, tag))
    return sentences


def test_conll_bioes_decodes_in_seqevals_strict_mode_to_the_spans(corpus):
    records = _records(corpus)
    sentences = _conll(corpus / "conll" / "train.conll")
    assert len(sentences) == len(records) == 60
    for sentence, rec in zip(sentences, records, strict=True):
        assert [w for w, _ in sentence] == rec["tokens"]
        entities = Entities([[t for _, t in sentence]], IOBES).entities[0]
        offsets = rec["token_offsets"]
        got = [(e.tag, offsets[e.start][0], offsets[e.end - 1][1]) for e in entities]
        assert got == [(s["label"], s["start"], s["end"]) for s in rec["spans"]]


def test_jsonl_tags_are_strict_iob2_and_agree_with_the_spans(corpus):
    for rec in _records(corpus):
        entities = Entities([rec["tags"]], IOB2).entities[0]
        offsets = rec["token_offsets"]
        got = [(e.tag, offsets[e.start][0], offsets[e.end - 1][1]) for e in entities]
        assert got == [(s["label"], s["start"], s["end"]) for s in rec["spans"]]
        assert [rec["text"][s:e] for s, e in offsets] == rec["tokens"]


def test_info_names_the_tokenizer_and_counts(corpus):
    info = json.loads((corpus / "conll" / "info.json").read_text())
    assert info["tokenizer"] == "synthgen-whitespace-punct-v1"
    assert info["samples"] == 60 and info["scheme"] == "bioes"
    assert info["classes"] == {"intent": ["ask", "complain", "transfer"]}
    assert "S-PERSON" in info["tags"] and info["tags"][0] == "O"


def test_hf_card_declares_every_column_and_the_ids_decode(corpus):
    card = (corpus / "hf" / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---\n")[1])
    features = {f["name"]: f for f in header["dataset_info"]["features"]}
    tag_names = features["ner_tags"]["sequence"]["class_label"]["names"]
    intents = features["intent"]["dtype"]["class_label"]["names"]
    rows = [json.loads(x) for x in (corpus / "hf" / "train.jsonl").read_text().splitlines()]
    assert header["configs"][0]["data_files"][0]["path"] == "train.jsonl"
    for row, rec in zip(rows, _records(corpus), strict=True):
        assert set(row) == set(features)
        assert [tag_names[str(t)] for t in row["ner_tags"]] == rec["tags"]
        assert intents[str(row["intent"])] == rec["intent"]


def test_hf_layout_loads_with_datasets_and_the_features_decode(corpus):
    datasets = pytest.importorskip("datasets")
    # A cache of its own: datasets' default cache can hand back an earlier run's rows.
    cache = corpus.parent / "hf-cache"
    ds = datasets.load_dataset(str(corpus / "hf"), split="train", cache_dir=str(cache))
    records = _records(corpus)
    assert len(ds) == len(records)
    tag_names = ds.features["ner_tags"].feature.names
    for row, rec in zip(ds, records, strict=True):
        assert row["tokens"] == rec["tokens"]
        assert [tag_names[t] for t in row["ner_tags"]] == rec["tags"]
        assert ds.features["intent"].int2str(row["intent"]) == rec["intent"]


def test_spacy_docbin_loads_with_the_same_entities(corpus):
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin
    from spacy.training.corpus import walk_corpus

    records = _records(corpus)
    files = walk_corpus(corpus / "spacy", ".spacy")  # what spacy train reads, in its order
    info = json.loads((corpus / "spacy" / "info.json").read_text())
    assert [f.name for f in files] == info["files"]
    assert len(files) == -(-len(records) // 7) > 1
    vocab = spacy.blank("xx").vocab
    docs = [doc for f in files for doc in DocBin().from_disk(f).get_docs(vocab)]
    for doc, rec in zip(docs, records, strict=True):
        assert doc.text == rec["text"]
        assert [t.text for t in doc] == rec["tokens"]
        ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        assert ents == [(s["start"], s["end"], s["label"]) for s in rec["spans"]]
        assert doc.cats[rec["intent"]] == 1.0 and sum(doc.cats.values()) == 1.0
