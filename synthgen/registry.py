"""Plugin registries: generators, writers and readers found by name.

Built-in plugins are listed here as import paths and loaded on first use, so importing
synthgen imports no heavy backend. Third-party packages add plugins through the entry-point
groups ``synthgen.generators``, ``synthgen.writers`` and ``synthgen.readers`` without
editing synthgen.
"""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownPluginError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class Registry(Generic[T]):
    """Name -> plugin class, from built-in import paths and an entry-point group."""

    def __init__(self, kind: str, group: str, builtins: dict[str, str]) -> None:
        self.kind = kind
        self.group = group
        self._paths = dict(builtins)
        self._loaded: dict[str, type[T]] = {}
        self._scanned = False

    def _scan_entry_points(self) -> None:
        if self._scanned:
            return
        self._scanned = True
        for ep in entry_points(group=self.group):
            self._paths.setdefault(ep.name, ep.value)

    def names(self) -> list[str]:
        self._scan_entry_points()
        return sorted(self._paths)

    def get(self, name: str) -> type[T]:
        if name in self._loaded:
            return self._loaded[name]
        if name not in self._paths:
            self._scan_entry_points()
        if name not in self._paths:
            close = difflib.get_close_matches(name, self._paths, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise UnknownPluginError(
                f"unknown {self.kind} '{name}'{hint} (available: {', '.join(self.names())})"
            )
        module, _, attr = self._paths[name].partition(":")
        cls = getattr(importlib.import_module(module), attr)
        self._loaded[name] = cls
        return cls


GENERATORS: Registry = Registry(
    "generator",
    "synthgen.generators",
    {
        "composite": "synthgen.generators.composite:CompositeGenerator",
        "scene3d": "synthgen.generators.scene3d:Scene3DGenerator",
        "text": "synthgen.generators.text:TextGenerator",
        "document": "synthgen.generators.document:DocumentGenerator",
        "text_lines": "synthgen.generators.textline:TextLinesGenerator",
        "augment": "synthgen.augment.generator:AugmentGenerator",
    },
)
WRITERS: Registry = Registry(
    "writer",
    "synthgen.writers",
    {
        "coco": "synthgen.writers.coco:CocoWriter",
        "yolo": "synthgen.writers.yolo:YoloWriter",
        "yolo-seg": "synthgen.writers.yolo:YoloSegWriter",
        "yolo-pose": "synthgen.writers.yolo:YoloPoseWriter",
        "voc": "synthgen.writers.voc:VocWriter",
        "masks": "synthgen.writers.masks:MaskWriter",
        "depth": "synthgen.writers.depth:DepthWriter",
        "bop": "synthgen.writers.bop:BopWriter",
        "conll": "synthgen.writers.text:ConllWriter",
        "jsonl": "synthgen.writers.text:JsonlWriter",
        "spacy": "synthgen.writers.text:SpacyWriter",
        "hf": "synthgen.writers.text:HuggingFaceWriter",
        "funsd": "synthgen.writers.document:FunsdWriter",
        "donut": "synthgen.writers.document:DonutWriter",
        "hocr": "synthgen.writers.document:HocrWriter",
        "ocr": "synthgen.writers.ocr:OcrWriter",
    },
)

READERS: Registry = Registry(
    "reader",
    "synthgen.readers",
    {
        "coco": "synthgen.readers.coco:CocoReader",
        "yolo": "synthgen.readers.yolo:YoloReader",
        "voc": "synthgen.readers.voc:VocReader",
    },
)
