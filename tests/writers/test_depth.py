import json

import cv2
import numpy as np
import pytest

from synthgen.inspect.validate import validate_dataset
from synthgen.labels import derive_labels
from synthgen.writers.base import Fragment, ImageRef, LabeledSample, WriterError
from synthgen.writers.depth import DepthConfig, DepthWarning, DepthWriter
from tests.writers.known3d import CATEGORIES, HEIGHT, WIDTH, known_sample, run_fake, write_samples


def test_png16_round_trips_to_the_millimetre(tmp_path):
    root = write_samples(tmp_path, "depth")
    png = cv2.imread(str(root / "depth/00000000.png"), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16 and png.shape == (HEIGHT, WIDTH)
    depth = known_sample().depth
    assert np.abs(png / 1000 - depth).max() <= 0.0005 + 1e-7
    assert ((png == 0) == (depth == 0)).all()  # 0 = no surface, nothing else is 0
    info = json.loads((root / "depth/info.json").read_text())
    assert info["units"] == "millimetres" and "z-depth" in info["quantity"]
    assert "not along the ray" in info["quantity"] and info["clipped_pixels"] == 0


def test_npz_keeps_float32_metres_byte_for_byte(tmp_path):
    root = write_samples(tmp_path / "a", "depth", encoding="npz")
    again = write_samples(tmp_path / "b", "depth", encoding="npz")
    with np.load(root / "depth/00000000.npz") as npz:
        assert npz["depth"].dtype == np.float32
        assert np.array_equal(npz["depth"], known_sample().depth)
    name = "depth/00000001.npz"
    assert (root / name).read_bytes() == (again / name).read_bytes()  # no zip timestamps
    assert json.loads((root / "depth/info.json").read_text())["units"] == "metres"


def write_one(tmp_path, depth, **options):
    writer = DepthWriter(tmp_path, DepthConfig(**options), CATEGORIES)
    writer.prepare()
    sample = known_sample()
    ref = ImageRef(0, "00000000", "images/00000000.png", WIDTH, HEIGHT)
    return writer, writer.write(LabeledSample(ref, derive_labels(sample), sample.camera, depth))


def test_beyond_65_metres_is_written_as_no_surface_with_a_warning(tmp_path):
    depth = known_sample().depth.copy()
    depth[:2] = 70.0
    writer, fragment = write_one(tmp_path, depth)
    png = cv2.imread(str(tmp_path / "depth/00000000.png"), cv2.IMREAD_UNCHANGED)
    assert (png[:2] == 0).all() and fragment == {"clipped": 2 * WIDTH}
    writer.begin()
    writer.add(Fragment(ImageRef(0, "00000000", "images/00000000.png", WIDTH, HEIGHT), fragment))
    with pytest.warns(DepthWarning, match=f"{2 * WIDTH} pixels in 1 images"):
        writer.end()
    assert json.loads((tmp_path / "depth/info.json").read_text())["clipped_pixels"] == 2 * WIDTH


def test_a_sample_without_depth_is_refused(tmp_path):
    with pytest.raises(WriterError, match="format 'depth' needs depth"):
        write_one(tmp_path, None)
    with pytest.raises(WriterError, match="non-finite"):
        write_one(tmp_path, np.full((HEIGHT, WIDTH), np.inf, np.float32))


def test_validate_passes_and_finds_a_wrong_dtype(tmp_path):
    root = run_fake(tmp_path / "ds", {"coco": {}, "depth": {}})
    report = validate_dataset(root)
    assert report.ok, report.format()
    assert "depth: 2 png16 files" in report.format()
    path = root / "depth/00000001.png"
    png = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(path), (png // 256).astype(np.uint8))
    assert any("not png16 depth" in d for d in validate_dataset(root).defects)


def test_validate_finds_no_depth_under_an_object(tmp_path):
    root = run_fake(tmp_path / "ds", {"coco": {}, "depth": {"encoding": "npz"}})
    assert validate_dataset(root).ok
    path = root / "depth/00000000.npz"
    with np.load(path) as npz:
        depth = npz["depth"]
    depth[depth > 0] = 0
    np.savez(path.with_suffix(""), depth=depth)
    assert any("depth is 0 on visible pixels" in d for d in validate_dataset(root).defects)
