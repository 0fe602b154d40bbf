"""Readers: existing COCO, YOLO and Pascal VOC datasets into synthgen's Sample model, so
they flow through the same label derivation and writers as generated data.

>>> reader = open_dataset(Path("data/coco/instances.json"))  # doctest: +SKIP
>>> for image in reader:                 # light records, in the dataset's order
...     sample = image.load()            # pixels and instance map, one image at a time

See :mod:`synthgen.readers.base` for the rules every reader follows (overlapping masks,
boxes-only inputs, float boxes, errors) and each format's module for its layout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from synthgen.readers.base import DatasetError, Reader, SourceImage
from synthgen.registry import READERS, UnknownPluginError

__all__ = ["DatasetError", "Reader", "SourceImage", "open_dataset"]


def open_dataset(path: Path, fmt: str | None = None, **options: Any) -> Reader:
    """Opens the dataset at ``path`` with the reader named ``fmt`` (found from the files
    when None). ``options`` are the reader's config fields (``images``, ``split``,
    ``classes``, ``clip_boxes``); None values are left out.
    """
    if not path.exists():
        raise DatasetError(f"{path}: no such file or folder")
    if fmt is None:
        found = [name for name in READERS.names() if READERS.get(name).detect(path)]
        if not found:
            raise DatasetError(
                f"{path}: no dataset found (COCO: a .json file or annotations/instances.json; "
                "YOLO: data.yaml; VOC: an Annotations folder); name the format with --from"
            )
        if len(found) > 1:
            raise DatasetError(
                f"{path}: holds several formats ({', '.join(found)}); choose one with --from"
            )
        fmt = found[0]
    try:
        cls = READERS.get(fmt)
    except UnknownPluginError as err:
        raise DatasetError(str(err)) from None
    given = {k: v for k, v in options.items() if v is not None}
    try:
        config = cls.config_type(**given)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: "
            + ("does not apply to this format" if e["type"] == "extra_forbidden" else e["msg"])
            for e in err.errors()
        )
        raise DatasetError(f"{fmt} reader options: {problems}") from None
    return cls(path, config)
