"""Text-line recognition labels: the string of every line image, and its character boxes.

Layout::

    ocr/gt.txt         <image path>\\t<text>, one line per image, in sample order: the label
                       file of PaddleOCR (SimpleDataSet), deep-text-recognition-benchmark's
                       create_lmdb_dataset.py and EasyOCR's trainer; paths are relative to
                       the output folder (their data_dir)
    ocr/labels.jsonl   per image: {"image", "width", "height", "text", "source",
                       "words": [{"text", "box", "quad"}],
                       "chars": [{"text", "start", "word", "box"}]}
    ocr/info.json      box convention and what the fields mean

A char is a grapheme cluster (what a reader counts as one character: "é", "🇩🇪"), ``start``
its offset in ``text`` in code points, so ``text[start:start + len(char)] == char``, and
``word`` its word's index in ``words``; spaces have no box and no entry. Boxes are
``[x0, y0, x1, y1]`` with exclusive ends, as in :mod:`synthgen.writers.document`.
"""

from __future__ import annotations

import os
from typing import IO, Any

import orjson

from synthgen import __version__
from synthgen.document_labels import DocumentLabels
from synthgen.files import PARTIAL_SUFFIX, atomic_write_text
from synthgen.writers.base import Fragment, LabeledSample, Writer, WriterError
from synthgen.writers.document import BOX_CONVENTION

OCR_DIR = "ocr"
GT_FILE = f"{OCR_DIR}/gt.txt"
LABELS_FILE = f"{OCR_DIR}/labels.jsonl"


def line_record(doc: DocumentLabels) -> dict[str, Any]:
    """What labels.jsonl holds for one line (without the image's name and size)."""
    return {
        "text": doc.text,
        "source": doc.entities[0].field if doc.entities else None,
        "words": [
            {"text": w.text, "box": list(w.bbox), "quad": [list(p) for p in w.quad]}
            for w in doc.words
        ],
        "chars": [
            {"text": g.text, "start": g.start, "word": g.word, "box": list(g.bbox)}
            for g in doc.glyphs
        ],
    }


class OcrWriter(Writer):
    """Line images with their text (gt.txt) and word and character boxes (labels.jsonl)."""

    name = "ocr"
    modality = "line"
    owns = (OCR_DIR,)

    def write(self, sample: LabeledSample) -> Any:
        doc = sample.document
        if doc is None or not doc.glyphs:
            raise WriterError(f"sample {sample.image.index} has no character labels for ocr")
        if "\t" in doc.text or "\n" in doc.text:
            raise WriterError(f"sample {sample.image.index}: a line's text holds a tab or newline")
        return line_record(doc)

    def begin(self) -> None:
        self._files: list[tuple[IO[str], str]] = []
        for rel in (GT_FILE, LABELS_FILE):
            partial = self.root / (rel + PARTIAL_SUFFIX)
            self._files.append((partial.open("w", encoding="utf-8", newline="\n"), rel))

    def add(self, fragment: Fragment) -> None:
        if not isinstance(fragment.data, dict):
            raise WriterError(f"sample {fragment.index} has no ocr labels in the manifest")
        ref = fragment.ref
        (gt, _), (labels, _) = self._files
        gt.write(f"{ref.file}\t{fragment.data['text']}\n")
        record = {"image": ref.file, "width": ref.width, "height": ref.height, **fragment.data}
        labels.write(orjson.dumps(record).decode() + "\n")

    def end(self) -> None:
        for out, rel in self._files:
            out.close()
            os.replace(self.root / (rel + PARTIAL_SUFFIX), self.root / rel)
        info = {
            "generator": f"synthgen {__version__}",
            "box": BOX_CONVENTION,
            "gt.txt": "image path (relative to the dataset folder) TAB text, one per line",
            "chars": "one per grapheme cluster with ink; start = offset in text (code points)",
            "quad": "a word's tight quadrilateral along its text: top left, top right, "
            "bottom right, bottom left, continuous pixel coordinates",
        }
        atomic_write_text(
            self.root / OCR_DIR / "info.json",
            orjson.dumps(info, option=orjson.OPT_INDENT_2).decode() + "\n",
        )
