"""Shared reader rules: rounding, snapping, flip pairs, format detection and the registry."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as coco_mask

from synthgen.geometry import mask_to_polygons
from synthgen.labels import derive_labels
from synthgen.readers import DatasetError, open_dataset
from synthgen.readers.base import (
    SourceObject,
    _polygons_mask,
    _window,
    build_sample,
    infer_flip_pairs,
    read_rgb,
    round_out,
    snap,
)
from synthgen.registry import READERS


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((5, 10, 25, 20), (5, 10, 25, 20)),  # whole pixels: unchanged
        ((4.5, 10.0, 24.2, 20.0), (4, 10, 25, 20)),  # every pixel the box touches
        ((5.0000001, 10, 24.9999999, 20), (5, 10, 25, 20)),  # float noise is not a pixel
        ((3.2, 3.2, 3.4, 3.4), (3, 3, 4, 4)),  # at least one pixel
        ((-0.005, 0, 100.004, 50), (0, 0, 100, 50)),  # within the tolerance: inside
    ],
)
def test_round_out(box, expected):
    assert round_out(box, 50, 100) == expected


def test_snap_only_within_the_tolerance():
    assert snap(24.99999, 1e-4) == 25 and isinstance(snap(24.99999, 1e-4), int)
    assert snap(24.9, 1e-4) == 24.9


def test_flip_pairs_by_name():
    names = ["nose", "left_eye", "right_eye", "Right_ear", "Left_ear", "left_only"]
    assert infer_flip_pairs(names) == (("left_eye", "right_eye"), ("Left_ear", "Right_ear"))


def _obj(box, seg=None, crowd=False):
    return SourceObject("thing", box, record={}, segmentation=seg, crowd=crowd)


def test_build_sample_overlap_order_and_seals():
    image = np.zeros((20, 30, 3), np.uint8)
    objs = [_obj((0, 0, 10, 10)), _obj((5, 5, 10, 10)), _obj((2, 2, 4, 4), crowd=True)]
    sample = build_sample(image, objs, "test", {"source": {}})
    imap = sample.instance_map
    assert imap[7, 7] == 2  # equal areas: the later on top
    assert imap[3, 3] == 1  # the crowd lies below
    assert all(i.box_only and i.source is not None and i.source.seal for i in sample.instances)
    assert [lab.source is not None for lab in derive_labels(sample)] == [True] * 3
    sample.image[:] = 255  # pixels that are not geometry leave the labels untouched
    assert all(lab.source is not None for lab in derive_labels(sample))


def test_open_dataset_finds_the_format_or_asks(generated, tmp_path):
    with pytest.raises(DatasetError, match=r"holds several formats \(coco, voc, yolo\)"):
        open_dataset(generated)
    assert open_dataset(generated / "data.yaml").name == "yolo"
    assert open_dataset(generated / "annotations/instances.json").name == "coco"
    assert open_dataset(generated / "voc").name == "voc"
    with pytest.raises(DatasetError, match="no dataset found"):
        open_dataset(tmp_path)
    with pytest.raises(DatasetError, match="unknown reader 'cocoa'; did you mean 'coco'"):
        open_dataset(generated, "cocoa")


def test_registry_lists_the_built_in_readers():
    assert READERS.names() == ["coco", "voc", "yolo"]
    assert READERS.group == "synthgen.readers"


def test_images_stream_lazily_with_provenance(generated):
    reader = open_dataset(generated, "coco")
    first = next(iter(reader))
    assert first.provenance() == {
        "format": "coco",
        "dataset": str(generated / "annotations/instances.json"),
        "image_id": 1,
        "file": str(generated / "images/00000000.jpg"),
    }
    assert first.load().plan == {"source": first.provenance()}


def _whole_image_mask(polygons, height, width):
    """pycocotools on the whole image, cut to the tight box: the reference."""
    rle = coco_mask.merge(coco_mask.frPyObjects([p.tolist() for p in polygons], height, width))
    x, y, w, h = (int(v) for v in coco_mask.toBbox(rle))
    if w <= 0 or h <= 0:
        return None, (0, 0)
    return coco_mask.decode(rle)[y : y + h, x : x + w].astype(bool), (x, y)


def test_polygons_drawn_in_a_window_match_pycocotools_on_the_whole_image():
    rng = np.random.default_rng(0)
    windowed = 0
    for trial in range(600):
        h, w = (int(v) for v in rng.integers(5, 60, 2))
        yy, xx = np.mgrid[0:h, 0:w]
        mask = np.zeros((h, w), bool)
        for _ in range(rng.integers(1, 4)):  # blobs, some cut by the border
            cx, cy = rng.integers(-5, w + 5), rng.integers(-5, h + 5)
            rx, ry = rng.integers(1, 20, 2)
            mask |= ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
        off = rng.integers(-8, 9, 2) if trial % 3 == 0 else np.zeros(2)  # leave the image
        polys = [(np.asarray(p, np.float64) + off).ravel() for p in mask_to_polygons(mask)]
        if trial % 5 == 0:  # float vertices: drawn on the whole image
            polys = [p + rng.uniform(-0.5, 0.5, p.shape).round(2) for p in polys]
        polys = [p for p in polys if len(p) >= 6]
        if not polys:
            continue
        windowed += _window(polys, h, w) is not None
        got, origin = _polygons_mask(polys, h, w)
        want, want_origin = _whole_image_mask(polys, h, w)
        assert (got is None) == (want is None)
        if got is not None:
            assert origin == want_origin
            assert np.array_equal(got, want)
    assert windowed > 300


def _encoded(kind: str) -> bytes:
    rng = np.random.default_rng(1)
    image = cv2.GaussianBlur(rng.integers(0, 256, (37, 53, 3), dtype=np.uint8), (5, 5), 0)
    if kind.startswith("exif"):
        exif = Image.Exif()
        exif[0x0112] = int(kind[4:])  # orientation 6: rotated 90 degrees
        out = io.BytesIO()
        Image.fromarray(image).save(out, "JPEG", exif=exif.tobytes(), quality=90)
        return out.getvalue()
    ext, pixels = {
        "jpg": (".jpg", image),
        "png": (".png", image),
        "grey": (".png", image[..., 0]),
        "rgba": (".png", np.dstack([image, image[..., :1]])),
    }[kind]
    return cv2.imencode(ext, pixels)[1].tobytes()


@pytest.mark.parametrize("kind", ["jpg", "png", "grey", "rgba", "exif6", "exif3"])
def test_read_rgb_decodes_as_opencv_bgr_then_converted(kind, tmp_path):
    data = _encoded(kind)
    path = tmp_path / ("image.jpg" if kind in ("jpg",) or kind.startswith("exif") else "image.png")
    path.write_bytes(data)
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(read_rgb(path, "test"), cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
