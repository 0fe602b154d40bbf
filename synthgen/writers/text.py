"""Text corpus formats: CoNLL (IOB2/BIOES), JSONL with spans, spaCy DocBin, Hugging Face.

Sentences are too small for files of their own: each writer streams every sample's text,
tokens, tags and spans from the manifest into its folder in sample order (one file, or
spaCy's DocBin files of a bounded size; written under temporary names, renamed at the end),
and writes ``info.json`` beside them with the tokenizer that made the tokens, the tag
scheme, the label lists and the counts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any, ClassVar, Literal

import orjson
import yaml
from pydantic import Field

from synthgen.config import Problem, RecipeError
from synthgen.files import PARTIAL_SUFFIX, STREAM_BUFFER, atomic_write_text
from synthgen.text_labels import TOKENIZER, bioes
from synthgen.writers.base import Fragment, Writer, WriterConfig, WriterError


class TextWriter(Writer):
    """One folder of sentences: the data files that ``emit`` makes of every sample, in
    sample order, and ``folder/info.json``."""

    modality = "text"
    folder: ClassVar[str]

    def begin(self) -> None:
        (self.root / self.folder).mkdir(parents=True, exist_ok=True)
        self._count = 0
        self._classes: dict[str, set[str]] = {}

    def add(self, fragment: Fragment) -> None:
        record = fragment.text
        if record is None:
            return
        self._count += 1
        for task, label in record["classes"].items():
            self._classes.setdefault(task, set()).add(label)
        self.emit(fragment.index, record)

    def emit(self, index: int, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def end(self) -> None:
        info = {
            "format": self.name,
            **self.close(),
            "samples": self._count,
            "tokenizer": TOKENIZER,
            "entity_types": [c.name for c in self.categories],
            **self.info(),
            "classes": {task: sorted(labels) for task, labels in sorted(self._classes.items())},
        }
        atomic_write_text(self.root / self.folder / "info.json", _json(info) + "\n")

    def close(self) -> dict[str, Any]:
        """Completes the data files (each appears by a rename); returns what ``info.json``
        says of them."""
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        return {"tags": self.tag_names("iob2")}

    def tag_names(self, scheme: str) -> list[str]:
        """O first, then B-/I- (or B-/I-/E-/S-) for each entity type in category order."""
        prefixes = "BI" if scheme == "iob2" else "BIES"
        return ["O"] + [f"{p}-{c.name}" for c in self.categories for p in prefixes]


class FileWriter(TextWriter):
    """Streams one data file, ``folder/file``."""

    file: ClassVar[str]
    binary: ClassVar[bool] = False

    @property
    def path(self) -> Path:
        return self.root / self.folder / self.file

    def begin(self) -> None:
        super().begin()
        self._partial = self.path.with_name(self.path.name + PARTIAL_SUFFIX)
        self._out: IO[Any] = (
            self._partial.open("wb", buffering=STREAM_BUFFER)
            if self.binary
            else self._partial.open("w", STREAM_BUFFER, encoding="utf-8", newline="\n")
        )

    def close(self) -> dict[str, Any]:
        self.finish()
        self._out.close()
        os.replace(self._partial, self.path)
        return {"file": self.file}

    def finish(self) -> None:
        """Writes what must follow the last sample (nothing by default)."""


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _words(record: dict[str, Any]) -> list[str]:
    """The token strings, sliced once per record whatever the number of text writers (the
    record is this sample's own copy, parsed from its manifest line)."""
    words: list[str] | None = record.get(_WORDS)
    if words is None:
        text = record["text"]
        words = record[_WORDS] = [text[s:e] for s, e in record["tokens"]]
    return words


_WORDS = "_words"  # not a manifest key: the words, kept on the record by the first writer


class ConllConfig(WriterConfig):
    scheme: Literal["iob2", "bioes"] = Field("iob2", description="token tag scheme")
    docstart: bool = Field(False, description="begin with CoNLL-2003's -DOCSTART- line")


class ConllWriter(FileWriter):
    """CoNLL-2003-style NER: ``token tag`` per line, a blank line after each sentence."""

    name = "conll"
    config_type = ConllConfig
    config: ConllConfig
    owns = ("conll",)
    folder, file = "conll", "train.conll"

    def begin(self) -> None:
        super().begin()
        if self.config.docstart:
            self._out.write("-DOCSTART- O\n\n")

    def emit(self, index: int, record: dict[str, Any]) -> None:
        tags = record["tags"] if self.config.scheme == "iob2" else bioes(record["tags"])
        words = _words(record)
        if len(words) != len(tags):
            raise WriterError(f"sample {index}: {len(words)} tokens but {len(tags)} tags")
        # One join over a list (no strict zip, no second concatenation of the lines).
        self._out.write("".join([f"{w} {t}\n" for w, t in zip(words, tags, strict=False)]) + "\n")

    def check(self) -> None:
        for category in self.categories:
            if any(ch.isspace() for ch in category.name):
                message = f"entity type '{category.name}' has a space: CoNLL columns split on it"
                raise RecipeError([Problem(("output", "formats", self.name), message)])

    def info(self) -> dict[str, Any]:
        return {"scheme": self.config.scheme, "tags": self.tag_names(self.config.scheme)}


class JsonlWriter(FileWriter):
    """One JSON object per sentence: text, entity spans, tokens, tags, classes.

    Span offsets are code points into the NFC text, end exclusive; tokens come with their
    offsets, tags are IOB2, and the sample's attributes are included."""

    name = "jsonl"
    owns = ("jsonl",)
    folder, file = "jsonl", "data.jsonl"
    binary = True

    def emit(self, index: int, record: dict[str, Any]) -> None:
        text = record["text"]
        line = {
            "id": index,
            "text": text,
            "spans": [
                {"start": s, "end": e, "label": label, "text": text[s:e]}
                for s, e, label in record["spans"]
            ],
            "tokens": _words(record),
            "token_offsets": record["tokens"],
            "tags": record["tags"],
            **record["classes"],
            "attributes": record["attributes"],
        }
        self._out.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))


class HuggingFaceWriter(FileWriter):
    """A Hugging Face datasets folder: train.jsonl and a README.md card.

    ``datasets.load_dataset`` reads it: integer ``ner_tags`` and class ids, with the card's
    YAML header declaring every column and its class names."""

    name = "hf"
    owns = ("hf",)
    folder, file = "hf", "train.jsonl"
    binary = True

    def begin(self) -> None:
        super().begin()
        self._tag_ids = {t: k for k, t in enumerate(self.tag_names("iob2"))}
        self._class_names = _class_names(self)
        self._attributes: list[str] = []

    def emit(self, index: int, record: dict[str, Any]) -> None:
        line: dict[str, Any] = {
            "id": index,
            "text": record["text"],
            "tokens": _words(record),
            "ner_tags": [self._tag_ids[t] for t in record["tags"]],
        }
        for task, label in record["classes"].items():
            line[task] = self._class_names[task].index(label)
        for name, value in record["attributes"].items():
            line[name] = value
            if name not in self._attributes:
                self._attributes.append(name)
        self._out.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))

    def finish(self) -> None:
        atomic_write_text(self.root / self.folder / "README.md", self._card())

    def _card(self) -> str:
        def labels(names: list[str]) -> dict[str, Any]:
            return {"class_label": {"names": {str(k): n for k, n in enumerate(names)}}}

        features: list[dict[str, Any]] = [
            {"name": "id", "dtype": "int64"},
            {"name": "text", "dtype": "string"},
            {"name": "tokens", "sequence": "string"},
            {"name": "ner_tags", "sequence": labels(self.tag_names("iob2"))},
        ]
        features += [{"name": t, "dtype": labels(n)} for t, n in self._class_names.items()]
        features += [{"name": a, "dtype": "string"} for a in self._attributes]
        header = {
            "configs": [
                {"config_name": "default", "data_files": [{"split": "train", "path": self.file}]}
            ],
            "dataset_info": {"features": features},
        }
        body = f"Synthetic sentences made by synthgen; tokens by {TOKENIZER}, tags IOB2.\n"
        return f"---\n{yaml.safe_dump(header, sort_keys=False, allow_unicode=True)}---\n\n{body}"


def _class_names(writer: Writer) -> dict[str, list[str]]:
    """The sample-level classes by task, in the recipe's order (their integer ids)."""
    config = getattr(writer.generator, "config", None)
    if config is None or getattr(config, "classes", None) is None:
        return {}
    return {config.classes.task: list(config.class_weights())}


class SpacyConfig(WriterConfig):
    docs_per_file: int = Field(
        10_000,
        ge=1,
        description="sentences per DocBin file (a file's docs are held in memory until it "
        "is written: ~8 kB each with spaCy's vocabulary)",
    )


class SpacyWriter(TextWriter):
    """spaCy DocBin files, ``spacy/train-00000.spacy``, ``train-00001.spacy``, ... of
    ``docs_per_file`` sentences each (``spacy`` extra), with entities and classes.

    Entities are ``doc.ents``, classes ``doc.cats``. Tokens are synthgen's, so every entity
    lines up with token boundaries exactly. ``spacy train --paths.train out/spacy`` reads
    the folder's files in name order; memory stays bounded whatever the corpus size."""

    name = "spacy"
    config_type = SpacyConfig
    config: SpacyConfig
    owns = ("spacy",)
    folder = "spacy"

    def check(self) -> None:
        try:
            import spacy  # noqa: F401
        except ImportError:
            message = "the spacy format needs spaCy: pip install 'synthgen[spacy]'"
            raise RecipeError([Problem(("output", "formats", self.name), message)]) from None

    def begin(self) -> None:
        super().begin()
        self._class_names = _class_names(self)
        self._files: list[str] = []
        self._new_file()

    def _new_file(self) -> None:
        from spacy.tokens import DocBin
        from spacy.vocab import Vocab

        # A bare vocabulary: a new word (most sentences bring one: a name, a number) costs
        # none of the lexeme attributes (shape, flags, norm) that a reader's vocabulary
        # computes for itself when it loads the docs; one per file bounds memory.
        self._vocab = Vocab()
        self._docs = DocBin(store_user_data=False)

    def emit(self, index: int, record: dict[str, Any]) -> None:
        from spacy.tokens import Doc

        text = record["text"]
        tokens = record["tokens"]
        spaces = [
            end < len(text) and (k + 1 == len(tokens) or tokens[k + 1][0] > end)
            for k, (_, end) in enumerate(tokens)
        ]
        doc = Doc(self._vocab, words=_words(record), spaces=spaces)
        ents = []
        for start, end, label in record["spans"]:
            span = doc.char_span(start, end, label=label)
            if span is None:  # cannot happen: spans were checked against the tokens
                raise WriterError(f"sample {index}: entity [{start}, {end}) splits a token")
            ents.append(span)
        doc.ents = ents
        for task, label in record["classes"].items():
            doc.cats = {name: float(name == label) for name in self._class_names.get(task, [])}
        self._docs.add(doc)
        if len(self._docs) == self.config.docs_per_file:
            self._write_file()

    def _write_file(self) -> None:
        name = f"train-{len(self._files):05d}.spacy"
        partial = self.root / self.folder / (name + PARTIAL_SUFFIX)
        partial.write_bytes(self._docs.to_bytes())
        self._files.append(name)
        self._new_file()

    def close(self) -> dict[str, Any]:
        if len(self._docs) or not self._files:  # an empty corpus still gets its (empty) file
            self._write_file()
        folder = self.root / self.folder
        for name in self._files:
            os.replace(folder / (name + PARTIAL_SUFFIX), folder / name)
        return {"files": self._files}
