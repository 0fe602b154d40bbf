"""Pascal VOC: ``Annotations/*.xml`` with 1-based, inclusive boxes; images in ``JPEGImages``.

``path`` is the VOC root (the folder holding ``Annotations``), that folder itself, or a
synthgen output folder (its ``voc/``). Boxes are 1-based and inclusive: xmin=6, xmax=25
covers the 0-based columns 5..24, box x0=5, x1=25 in continuous coordinates (an xmin of 0
leaves the image: the dataset is 0-based; fix it or read with ``clip_boxes``). VOC has
boxes only: every instance is box-only. Non-integer coordinates are kept as floats.

Classes, in order (category ids from 1): ``classes`` if given, else ``labels.txt`` (one
name a line, synthgen's) or ``labelmap.txt`` (CVAT/Datumaro's ``name:color:parts:actions``)
in the root, else every name found in the XML files, sorted (one pass over them). The
scalar fields of an object (``pose``, ``truncated``, ``difficult``, ``occluded``, a tool's
own) become ``Instance.attributes``, numbers as numbers; the whole ``<object>`` element is
kept and written back as it was (parts and actions included) while the instance is
untouched. With ``split`` the image list is ``ImageSets/Main/<split>.txt``; without, every
XML in ``Annotations``, sorted. Segmentation PNGs (SegmentationObject) are not read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field

from synthgen.readers.base import (
    DatasetError,
    Reader,
    ReaderConfig,
    SourceImage,
    SourceObject,
    check_box,
    number,
    unique_names,
)
from synthgen.readers.yolo import IMAGE_SUFFIXES
from synthgen.sample import Category

_BOX = ("xmin", "ymin", "xmax", "ymax")


class VocReaderConfig(ReaderConfig):
    split: str | None = Field(
        None, description="read ImageSets/Main/<split>.txt (default: every XML in Annotations)"
    )
    classes: list[str] | None = Field(
        None, description="class order (default: labels.txt or labelmap.txt, else sorted names)"
    )


class VocReader(Reader):
    """Pascal VOC XML (Annotations/, JPEGImages/), 1-based inclusive boxes."""

    name = "voc"
    config_type = VocReaderConfig
    config: VocReaderConfig

    def __init__(self, path: Path, config: ReaderConfig) -> None:
        super().__init__(path, config)
        root = voc_root(path)
        if root is None:
            raise DatasetError(
                f"{path}: no Annotations folder; give the VOC root (the folder holding "
                "Annotations/ and JPEGImages/)"
            )
        self.root: Path = root
        self.location = self.root
        self._files = self._list_files()
        names = self._class_names()
        unique_names(names, str(self.root))
        self.categories = [Category(k + 1, n) for k, n in enumerate(names)]
        self._known = set(names)

    @classmethod
    def detect(cls, path: Path) -> bool:
        return voc_root(path) is not None

    def __len__(self) -> int:
        return len(self._files)

    def __iter__(self) -> Iterator[SourceImage]:
        for index, xml in enumerate(self._files):
            doc = _parse(xml)
            name = (doc.findtext("filename") or "").strip() or f"{xml.stem}.jpg"
            path = self._image_path(name, xml.stem)
            width, height = _size(doc)
            yield SourceImage(index, xml.stem, name, path, width, height, reader=self)

    def objects(self, image: SourceImage, height: int, width: int) -> list[SourceObject]:
        xml = self.root / "Annotations" / f"{image.image_id}.xml"
        return [
            self._object(obj, f"{xml} object {k}", height, width)
            for k, obj in enumerate(_parse(xml).findall("object"), start=1)
        ]

    def _where(self, image: SourceImage | None = None) -> str:
        if image is None:
            return str(self.root / "Annotations")
        return str(self.root / "Annotations" / f"{image.image_id}.xml")

    # ------------------------------------------------------------------ parsing

    def _list_files(self) -> list[Path]:
        folder = self.root / "Annotations"
        if not self.config.split:
            return sorted(folder.glob("*.xml"))
        listing = self.root / "ImageSets" / "Main" / f"{self.config.split}.txt"
        try:
            lines = listing.read_text(encoding="utf-8").splitlines()
        except OSError:
            raise DatasetError(
                f"{listing}: split list not found; choose a split that has a file in "
                "ImageSets/Main, or read every XML without a split"
            ) from None
        stems = [line.split()[0] for line in lines if line.strip()]
        files = [folder / f"{stem}.xml" for stem in stems]
        for stem, file in zip(stems, files, strict=True):
            if not file.is_file():
                raise DatasetError(f"{listing}: lists {stem}, but {file} does not exist")
        return files

    def _class_names(self) -> list[str]:
        if self.config.classes:
            return list(self.config.classes)
        labels = self.root / "labels.txt"
        if labels.is_file():
            return [
                ln.strip() for ln in labels.read_text(encoding="utf-8").splitlines() if ln.strip()
            ]
        labelmap = self.root / "labelmap.txt"
        if labelmap.is_file():
            lines = labelmap.read_text(encoding="utf-8").splitlines()
            names = [
                ln.split(":", 1)[0].strip() for ln in lines if ln.strip() and not ln.startswith("#")
            ]
            return [n for n in names if n != "background"]
        found = set()
        for xml in self._files:
            for obj in _parse(xml).findall("object"):
                found.add((obj.findtext("name") or "").strip())
        return sorted(found - {""})

    def _image_path(self, name: str, stem: str) -> Path:
        folder = self.root / "JPEGImages"
        path = folder / name
        if path.is_file():
            return path
        for suffix in sorted(IMAGE_SUFFIXES):  # a filename without or with the wrong suffix
            if (folder / f"{stem}{suffix}").is_file():
                return folder / f"{stem}{suffix}"
        return path

    def _object(self, obj: ET.Element, where: str, height: int, width: int) -> SourceObject:
        name = (obj.findtext("name") or "").strip()
        if name not in self._known:
            raise DatasetError(
                f"{where}: unknown class {name!r} (classes: {', '.join(sorted(self._known))}); "
                "add it to labels.txt, or fix the name"
            )
        try:
            xmin, ymin, xmax, ymax = (number(obj.findtext(f"bndbox/{t}") or "") for t in _BOX)
        except ValueError:
            raise DatasetError(f"{where}: bndbox needs numbers xmin, ymin, xmax, ymax") from None
        box = (xmin - 1, ymin - 1, xmax, ymax)
        clipped = check_box(box, height, width, where, clip=self.config.clip_boxes)
        attributes: dict[str, object] = {}
        for child in obj:
            if child.tag not in ("name", "bndbox") and len(child) == 0 and child.text:
                text = child.text.strip()
                try:
                    attributes[child.tag] = number(text)
                except ValueError:
                    attributes[child.tag] = text
        tail, obj.tail = obj.tail, None  # the record is the element alone
        record = ET.tostring(obj, encoding="utf-8")
        obj.tail = tail
        return SourceObject(
            category=name,
            bbox_xywh=(box[0], box[1], box[2] - box[0], box[3] - box[1]),
            record=record,
            attributes=attributes,
            clipped=clipped,
        )


def voc_root(path: Path) -> Path | None:
    """The folder holding ``Annotations`` for a VOC root, that folder, or synthgen's output."""
    for root in (path, path / "voc", path.parent if path.name == "Annotations" else None):
        if root is not None and (root / "Annotations").is_dir():
            return root
    return None


def _parse(xml: Path) -> ET.Element:
    try:
        return ET.parse(xml).getroot()
    except FileNotFoundError:
        raise DatasetError(f"{xml}: annotation file not found") from None
    except (OSError, ET.ParseError) as err:
        raise DatasetError(f"{xml}: not readable XML ({err}); fix or remove it") from None


def _size(doc: ET.Element) -> tuple[int | None, int | None]:
    """The declared size, or None where missing or 0 (some tools write 0)."""
    try:
        width, height = int(doc.findtext("size/width") or 0), int(doc.findtext("size/height") or 0)
    except ValueError:
        return None, None
    return (width, height) if width > 0 and height > 0 else (None, None)
