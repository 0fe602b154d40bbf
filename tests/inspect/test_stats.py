"""synthgen stats: numbers checked against pycocotools, formats against each other, the
HTML page with and without matplotlib, and the errors."""

from __future__ import annotations

import base64
import json
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from pycocotools.coco import COCO

from synthgen.cli import main
from synthgen.inspect.stats import dataset_stats, manifest_conditions
from synthgen.inspect.stats_report import INSTALL_HINT, write_report
from synthgen.readers.base import image_size
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset

QUICKSTART = Path(__file__).parents[2] / "scenes" / "quickstart.yaml"


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 quickstart images labeled in COCO, YOLO and VOC."""
    out = tmp_path_factory.mktemp("stats") / "q"
    recipe = load_recipe(QUICKSTART, num=4, formats=["coco", "yolo", "voc"])
    generate_dataset(recipe, out, workers=1, progress=False)
    return out


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def test_numbers_equal_pycocotools(quick: Path) -> None:
    coco = COCO(str(quick / "annotations/instances.json"))
    stats = dataset_stats(quick)
    assert stats["source"]["format"] == "coco"  # a synthgen folder: COCO first
    assert stats["images"] == len(coco.getImgIds())
    assert stats["instances"] == len(coco.getAnnIds())
    for cat in coco.loadCats(coco.getCatIds()):
        entry = stats["classes"][cat["name"]]
        assert entry["instances"] == len(coco.getAnnIds(catIds=[cat["id"]]))
        assert entry["images"] == len(coco.getImgIds(catIds=[cat["id"]]))
        assert isinstance(entry["instances"], int)
    per_image = Counter(len(coco.getAnnIds(imgIds=[i])) for i in coco.getImgIds())
    assert stats["instances_per_image"]["histogram"] == {
        str(k): per_image[k] for k in sorted(per_image)
    }
    areas = [a["area"] for a in coco.loadAnns(coco.getAnnIds())]
    assert stats["sizes"]["area_from"] == "annotation"
    expected = {
        "small": sum(a < 32**2 for a in areas),
        "medium": sum(32**2 <= a < 96**2 for a in areas),
        "large": sum(a >= 96**2 for a in areas),
    }
    assert stats["sizes"]["buckets"] == expected
    # pycocotools' own area filter (open interval) agrees where no area sits on an edge.
    assert not {32**2, 96**2} & set(areas)
    for bucket, lo, hi in (("small", 0, 32**2), ("medium", 32**2, 96**2), ("large", 96**2, 1e10)):
        assert len(coco.getAnnIds(areaRng=[lo, hi])) == expected[bucket]
    heat = stats["heatmaps"]["per_class"]
    assert sum(int(np.sum(g)) for g in heat.values()) == stats["instances"]
    assert sum(stats["boxes"]["side_histogram"]) == stats["instances"]
    assert sum(stats["boxes"]["aspect_histogram"]) == stats["instances"]
    assert stats["visibility"]["instances"] == stats["instances"]
    assert "blend" in stats["attributes"]  # synthgen's per-annotation attributes


@pytest.mark.parametrize("fmt", ["yolo", "voc"])
def test_yolo_and_voc_agree_with_coco(quick: Path, fmt: str) -> None:
    coco, other = dataset_stats(quick, "coco"), dataset_stats(quick, fmt)
    assert other["source"]["format"] == fmt
    for key in ("images", "instances", "instances_per_image", "image_sizes"):
        assert other[key] == coco[key], key
    for name, entry in coco["classes"].items():
        assert other["classes"][name]["instances"] == entry["instances"]
        assert other["classes"][name]["images"] == entry["images"]
        assert other["classes"][name]["boxes"] == entry["boxes"]
    assert other["boxes"]["buckets"] == coco["boxes"]["buckets"]
    assert other["sizes"]["area_from"] == "box"


def test_yolo_stats_decode_no_image(quick: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("stats decoded an image")

    monkeypatch.setattr("synthgen.readers.base.read_rgb", refuse)
    monkeypatch.setattr("cv2.imdecode", refuse)
    assert dataset_stats(quick, "yolo")["images"] == 4


def test_html_has_one_image_per_plot(quick: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    data, json_path = write_report(quick, tmp_path / "r/report.html")
    assert json_path == tmp_path / "r/report.json"
    assert json.loads(json_path.read_text()) == data
    page = _parse(tmp_path / "r/report.html")
    names = [img["data-plot"] for img in page.images]
    assert names == data["plots"] and len(set(names)) == len(names)
    assert {"classes", "instances_per_image", "box_sizes", "aspect", "heatmaps_0"} <= set(names)
    for img in page.images:
        src = img["src"] or ""
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_matplotlib_tables_and_hint(
    quick: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    result = CliRunner().invoke(
        main,
        [
            "stats",
            str(quick),
            "--out",
            str(tmp_path / "r.html"),
            "--json",
            str(tmp_path / "s.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert INSTALL_HINT in result.output
    page = _parse(tmp_path / "r.html")
    assert page.images == []
    assert INSTALL_HINT in "".join(page.text) and "stop" in page.text
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["plots"] == [] and data["dataset"]["images"] == 4


def test_compare_reports_both(quick: Path, tmp_path: Path) -> None:
    out = tmp_path / "cmp.html"
    result = CliRunner().invoke(
        main,
        ["stats", str(quick), "--compare", str(quick), "--compare-from", "voc", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["dataset"]["source"]["format"] == "coco"
    assert data["compare"]["source"]["format"] == "voc"
    diff = data["differences"]
    assert diff["images"] == [4, 4] and diff["instances"][0] == diff["instances"][1]
    for name, entry in diff["classes"].items():
        assert entry["instances"][0] == data["dataset"]["classes"][name]["instances"]
        assert entry["share_diff"] == 0.0
    page = _parse(out)
    text = "".join(page.text)
    assert "share difference" in text and text.count(str(quick)) >= 2
    if data["plots"]:
        assert {"heatmaps_0", "heatmaps_1"} <= {img["data-plot"] for img in page.images}


def test_conditions_from_manifest(quick: Path, tmp_path: Path) -> None:
    folder = tmp_path / "aug"
    (folder / "annotations").mkdir(parents=True)
    (folder / "annotations/instances.json").write_bytes(
        (quick / "annotations/instances.json").read_bytes()
    )
    plans = [
        {"profile": ["night", "hflip"], "ops": [{"op": "night", "gamma": 2}, {"op": "hflip"}]},
        {"profile": ["night", "hflip"], "ops": [{"op": "hflip"}]},
        {"profile": ["night", "hflip"], "ops": []},
    ]
    lines = [json.dumps({"index": k, "status": "ok", "plan": p}) for k, p in enumerate(plans)]
    (folder / "manifest.jsonl").write_text("\n".join([*lines, '{"index": 3, "sta']) + "\n")
    conditions = manifest_conditions(folder)
    assert conditions is not None
    assert conditions["ops"] == {"hflip": 2, "night": 1}
    assert conditions["no_op"] == 1 and conditions["samples"] == 3
    assert manifest_conditions(folder / "annotations/instances.json") == conditions
    assert manifest_conditions(quick) is None  # generated: plans without ops


def test_image_size_from_header_with_exif_rotation(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90: decoders swap the sides
    Image.new("RGB", (40, 20)).save(tmp_path / "r.jpg", exif=exif)
    Image.new("RGB", (40, 20)).save(tmp_path / "p.png")
    assert image_size(tmp_path / "r.jpg", "x") == (20, 40)
    assert image_size(tmp_path / "p.png", "x") == (40, 20)


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("empty_dir", [], "no dataset found"),
        ("empty_coco", [], "lists no images"),
        ("empty_dir", ["--from", "tfrecord"], "'tfrecord' is not one of"),
        ("bad_json", [], "instances.json"),
    ],
)
def test_errors_name_the_path_and_exit_2(
    tmp_path: Path, setup: str, args: list[str], message: str
) -> None:
    target = tmp_path / "data"
    target.mkdir()
    if setup == "empty_coco":
        (target / "annotations").mkdir()
        doc = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "a"}]}
        (target / "annotations/instances.json").write_text(json.dumps(doc))
    elif setup == "bad_json":
        (target / "annotations").mkdir()
        (target / "annotations/instances.json").write_text("{not json")
    result = CliRunner().invoke(
        main, ["stats", str(target), *args, "--out", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    if setup != "empty_dir" or not args:
        assert str(target) in result.output
    assert not (tmp_path / "r.html").exists()
