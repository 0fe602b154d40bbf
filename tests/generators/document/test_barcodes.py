"""Barcodes on pages: every symbology decodes from the final page to its label's data, at
its label's box, clean and after a rotation; bad data and oversized codes fail clearly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zxingcpp
from pycocotools.coco import COCO

from synthgen.config import RecipeError
from synthgen.document_labels import derive_document_labels
from synthgen.errors import AssetError
from synthgen.generators.document import barcodes
from synthgen.generators.document.layout import LayoutError
from synthgen.inspect.validate import validate_dataset
from synthgen.labels import derive_labels
from synthgen.recipe import build_recipe
from synthgen.run import generate_dataset
from tests.helpers import tree_bytes

READER_FORMAT = {
    "code128": "Code 128",
    "ean13": "EAN-13",
    "qr": "QR Code",
    "datamatrix": "Data Matrix",
    "pdf417": "PDF417",
}
CODES = [
    {"kind": "barcode", "data": "{number}", "module_mm": 0.5, "height_mm": 10},
    {"kind": "barcode", "symbology": "ean13", "data": "{gtin}", "module_mm": 0.5, "x": [0, 0.6]},
    {
        "kind": "barcode",
        "symbology": "qr",
        "data": {"en": "Pay {total} to {name}", "de": "Zahle {total} an {name}"},
        "module_mm": 0.7,
        "beside": True,
        "x": [0.6, 1],
        "align": "right",
    },
    {"kind": "barcode", "symbology": "datamatrix", "data": "{number}", "module_mm": 0.8},
    {"kind": "barcode", "symbology": "pdf417", "data": "{name}; {number}", "module_mm": 0.5},
]


def _recipe(blocks: list[dict[str, Any]], degrade: list[dict[str, Any]] | None = None) -> dict:
    return {
        "seed": 3,
        "num": 4,
        "output": {"formats": {"coco": {}}},
        "generator": {
            "kind": "document",
            "page": {"size": "A5", "dpi": 100},
            "locales": {"en_US": 1, "de_DE": 1},
            "fields": {
                "number": {"pattern": "N-####"},
                "gtin": {"pattern": "400############"[:12]},
                "name": {"faker": "name"},
                "total": {"money": [1, 999]},
            },
            "blocks": [{"kind": "text", "lines": ["{name}"]}, *blocks],
            "degrade": degrade or [],
        },
    }


def _page(data: dict[str, Any], base: Path, index: int):
    recipe = build_recipe(data, base_dir=base)
    gen = recipe.generator()
    gen.check()
    sample = gen.render(gen.plan_index(recipe.seed, index))
    regions, _ = derive_document_labels(sample, derive_labels(sample))
    return sample, [r for r in regions if r.category == "barcode"]


@pytest.mark.parametrize("degrade", [None, [{"op": "rotate", "degrees": [2, 2]}]])
@pytest.mark.parametrize("index", [0, 1])
def test_every_code_decodes_from_the_page_to_its_label_at_its_box(tmp_path, degrade, index):
    sample, labels = _page(_recipe(CODES, degrade), tmp_path, index)
    assert len(labels) == len(CODES)
    found = zxingcpp.read_barcodes(np.ascontiguousarray(sample.image[..., 1]))
    assert len(found) == len(CODES)
    for label in labels:
        assert label.attributes is not None
        kind = READER_FORMAT[label.attributes["symbology"]]
        hit = [r for r in found if str(r.format) == kind]
        assert len(hit) == 1, label.attributes
        assert hit[0].text == label.attributes["data"]
        x0, y0, x1, y1 = label.bbox_xyxy
        p = hit[0].position
        for corner in (p.top_left, p.top_right, p.bottom_right, p.bottom_left):
            # The reader's own corner estimate: within a pixel of the box, two when turned.
            slack = 2 if degrade else 1
            assert x0 - slack <= corner.x <= x1 + slack - 1, (label.bbox_xyxy, str(p))
            assert y0 - slack <= corner.y <= y1 + slack - 1, (label.bbox_xyxy, str(p))


def test_a_code_box_is_the_tight_box_of_its_bars(tmp_path):
    sample, labels = _page(_recipe(CODES[:1]), tmp_path, 0)
    (label,) = labels
    x0, y0, x1, y1 = label.bbox_xyxy
    dark = sample.image[..., 1] < 128
    dark[:, :x0] = dark[:, x1:] = False  # only the code's columns: text lies beside it
    ys, xs = np.nonzero(dark[y0:y1])
    assert (xs.min(), ys.min() + y0, xs.max() + 1, ys.max() + y0 + 1) == (x0, y0, x1, y1)
    assert label.attributes == {"symbology": "code128", "data": label.attributes["data"]}


def test_an_ean13_label_holds_the_check_digit_a_reader_returns():
    modules, data = barcodes.encode("ean13", "400638133393", "here")
    assert data == "4006381333931"
    assert modules.shape == (1, 95)  # 3 + 6 * 7 + 5 + 6 * 7 + 3 modules


def test_codes_go_to_coco_with_their_data_and_the_same_bytes_at_any_worker_count(tmp_path):
    recipe = build_recipe(_recipe(CODES[:3]), base_dir=tmp_path)
    generate_dataset(recipe, tmp_path / "one", workers=1, progress=False)
    generate_dataset(recipe, tmp_path / "two", workers=2, progress=False)
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")
    coco = COCO(str(tmp_path / "one" / "annotations" / "instances.json"))
    (cat,) = coco.getCatIds(catNms=["barcode"])
    anns = coco.loadAnns(coco.getAnnIds(catIds=[cat]))
    assert len(anns) == 3 * 4
    assert {a["attributes"]["symbology"] for a in anns} == {"code128", "ean13", "qr"}
    ids = [c["id"] for c in coco.loadCats(coco.getCatIds())]
    assert cat == max(ids)  # appended: the other layout classes keep their ids


def test_validate_decodes_every_code_and_catches_wrong_data_and_unlabeled_codes(tmp_path):
    root = tmp_path / "out"
    generate_dataset(build_recipe(_recipe(CODES), base_dir=tmp_path), root, progress=False)
    report = validate_dataset(root)
    assert report.ok, report.format()
    assert "barcodes: 20 of 20 decoded by zxing-cpp" in report.format()

    path = root / "annotations" / "instances.json"
    coco = json.loads(path.read_text())
    codes = [a for a in coco["annotations"] if "symbology" in a.get("attributes", {})]
    codes[0]["attributes"]["data"] += "1"  # a label whose data is not the code's
    coco["annotations"].remove(codes[1])  # a code on the page with no label
    path.write_text(json.dumps(coco))
    found = validate_dataset(root).format()
    assert f"annotation {codes[0]['id']}: decodes to" in found
    assert "unlabeled" in found


@pytest.mark.parametrize(
    ("block", "error", "words"),
    [
        ({"symbology": "ean13", "data": "{number}"}, AssetError, ["blocks[1]", "EAN-13", "12"]),
        ({"data": "{number} €"}, AssetError, ["blocks[1]", "code128 cannot encode"]),
        ({"data": "{nope}"}, RecipeError, ["blocks[1]", "'nope' is not a field"]),
        ({"symbology": "aztec", "data": "x"}, RecipeError, ["symbology"]),
        ({"data": "{name}", "module_mm": 4}, LayoutError, ["blocks[1]", "wide", "module_mm"]),
    ],
)
def test_bad_codes_fail_clearly(tmp_path, block, error, words):
    with pytest.raises(error) as err:
        _page(_recipe([{"kind": "barcode", **block}]), tmp_path, 0)
    for word in words:
        assert word in str(err.value)
