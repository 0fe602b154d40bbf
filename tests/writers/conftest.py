"""A hand-made sample whose labels are known, written by any writer into tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synthgen.labels import derive_labels
from synthgen.registry import WRITERS
from synthgen.sample import Category, Instance, Sample
from synthgen.writers.base import Fragment, ImageRef, LabeledSample

WIDTH, HEIGHT = 100, 50
CATEGORIES = [Category(1, "cat", keypoints=("l", "r"), skeleton=(("l", "r"),)), Category(2, "dog")]


def known_sample() -> Sample:
    """Object 1 ('cat'): columns 5..24, rows 10..19 (the DESIGN.md example), with keypoints.
    Object 2 ('dog'): a ring with a hole at the right border, partly outside the image."""
    imap = np.zeros((HEIGHT, WIDTH), np.uint16)
    imap[10:20, 5:25] = 1
    imap[20:40, 80:100] = 2
    imap[25:35, 85:95] = 0
    amodal = np.ones((20, 30), bool)
    amodal[5:15, 5:15] = False
    kps = np.array([[5.5, 15.0], [24.5, 15.0]])
    return Sample(
        np.zeros((HEIGHT, WIDTH, 3), np.uint8),
        imap,
        [
            Instance(
                1, "cat", amodal_mask=np.ones((10, 20), bool), amodal_origin=(5, 10), keypoints=kps
            ),
            Instance(2, "dog", amodal_mask=amodal, amodal_origin=(80, 20)),
        ],
    )


@pytest.fixture
def written(tmp_path: Path):
    """Writes the known sample as images 0 and 1 with the named writer; returns the root."""

    def write(name: str, **options) -> Path:
        cls = WRITERS.get(name)
        writer = cls(tmp_path, cls.config_type(**options), CATEGORIES)
        writer.prepare()
        (tmp_path / "images").mkdir(exist_ok=True)
        objects = derive_labels(known_sample())
        frags = []
        for index in (0, 1):
            ref = ImageRef(index, f"{index:08d}", f"images/{index:08d}.png", WIDTH, HEIGHT)
            (tmp_path / ref.file).write_bytes(b"")
            frags.append(Fragment(ref, writer.write(LabeledSample(ref, objects))))
        writer.begin()
        for frag in frags:
            writer.add(frag)
        writer.end()
        return tmp_path

    return write
