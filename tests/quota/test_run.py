"""Quota runs end to end: achieved tables read back with pycocotools, determinism, unmet
cells, and augment's condition x class cells."""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from pycocotools.coco import COCO

from synthgen.augment.command import augment_recipe, parse_profiles
from synthgen.cli import main
from synthgen.errors import OutputError
from synthgen.inspect.stats import dataset_stats
from synthgen.inspect.stats_report import render_html
from synthgen.quota.run import QUOTA_FILE, QuotaUnmetError
from synthgen.quota.spec import bucket_of
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset
from synthgen.run.manifest import MANIFEST_FILE
from tests.helpers import base_recipe, tree_bytes
from tests.readers.conftest import write_coco

SCALE = {"small": [0, 900], "large": [900, None]}  # the 160x120 test objects: ~400-2300 px


def _recipe(recipe_file, quota: dict[str, Any], **generator: Any) -> Path:
    return recipe_file(dict(base_recipe(**generator), quota=quota))


def _run(path: Path, out: Path, **kw: Any):
    kw.setdefault("workers", 1)
    return generate_dataset(load_recipe(path), out, progress=False, **kw)


def _coco(root: Path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(root / "annotations" / "instances.json"))


def _records(root: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (root / MANIFEST_FILE).read_text().splitlines()]


def _table(root: Path) -> dict[tuple[str, ...], dict[str, Any]]:
    report = json.loads((root / QUOTA_FILE).read_text())
    by = report["spec"]["by"]
    return {tuple(row[k] for k in by): row for row in report["table"]}


def test_class_quota_counts_are_what_pycocotools_reads(recipe_file, tmp_path):
    quota = {
        "by": ["class"],
        "cells": [{"class": "ring", "count": 9}, {"class": "square", "count": 4}],
    }
    out = tmp_path / "q"
    summary = _run(_recipe(recipe_file, quota), out)
    coco = _coco(out)
    read = Counter(coco.cats[a["category_id"]]["name"] for a in coco.anns.values())
    table = _table(out)
    assert {cell[0]: row["achieved"] for cell, row in table.items()} == dict(read)
    assert all(row["filled"] and row["achieved"] >= row["target"] for row in table.values())
    assert read["ring"] >= 9 and read["square"] >= 4
    # Sample i is the accepted candidate i, its plan that of the plain run's sample c.
    report = json.loads((out / QUOTA_FILE).read_text())
    records = _records(out)
    assert [r["candidate"] for r in records] == report["accepted"] == sorted(report["accepted"])
    assert summary.ok == len(records) == report["samples"] == len(coco.getImgIds())
    assert report["candidates_tried"] == report["accepted"][-1] + 1
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    # synthgen stats shows the table
    stats = dataset_stats(out)["quota"]
    assert stats["by"] == ["class"] and stats["table"] == report["table"]
    assert "Quota of" in render_html([dataset_stats(out)])


def test_each_accepted_sample_is_the_plain_runs_sample_of_its_candidate(recipe_file, tmp_path):
    quota = {"by": ["class"], "cells": [{"class": "square", "count": 6}]}
    _run(_recipe(recipe_file, quota), tmp_path / "q")
    accepted = json.loads((tmp_path / "q" / QUOTA_FILE).read_text())["accepted"]
    plain = recipe_file(dict(base_recipe(), num=accepted[-1] + 1), "plain.yaml")
    _run(plain, tmp_path / "p")
    for i, c in enumerate(accepted):
        assert (tmp_path / f"q/images/{i:08d}.jpg").read_bytes() == (
            tmp_path / f"p/images/{c:08d}.jpg"
        ).read_bytes()
    skipped = set(range(accepted[-1] + 1)) - set(accepted)
    plain_records = _records(tmp_path / "p")
    assert all("square" not in plain_records[c]["objects"] for c in skipped)


def test_class_by_scale_cells_match_the_coco_areas(recipe_file, tmp_path):
    quota = {
        "by": ["class", "scale"],
        "scale": SCALE,
        "cells": [
            {"class": "*", "scale": "*", "count": 3},
            {"class": "ring", "scale": "large", "count": 5},
        ],
    }
    out = tmp_path / "q"
    _run(_recipe(recipe_file, quota), out)
    coco = _coco(out)
    read: Counter[tuple[str, str]] = Counter()
    for ann in coco.anns.values():
        bucket = bucket_of(SCALE, ann["area"])  # type: ignore[arg-type]
        assert bucket is not None
        read[coco.cats[ann["category_id"]]["name"], bucket] += 1
    table = _table(out)
    assert set(table) == {(c, s) for c in ("ring", "square") for s in ("small", "large")}
    assert {cell: row["achieved"] for cell, row in table.items()} == dict(read)
    assert table["ring", "large"]["target"] == 5 and table["ring", "small"]["target"] == 3
    assert all(row["filled"] for row in table.values())


def test_same_bytes_with_one_or_two_workers_and_after_a_resume(recipe_file, tmp_path):
    quota = {
        "by": ["class", "scale"],
        "scale": SCALE,
        "cells": [{"class": "*", "scale": "*", "count": 2}],
    }
    path = _recipe(recipe_file, quota)
    _run(path, tmp_path / "one", workers=1)
    _run(path, tmp_path / "two", workers=2)
    one = tree_bytes(tmp_path / "one")
    assert one == tree_bytes(tmp_path / "two")
    # Kill after two samples: the resumed run reads the accepted list back and finishes.
    cut = tmp_path / "cut"
    _run(path, cut)
    lines = (cut / MANIFEST_FILE).read_text().splitlines(keepends=True)
    (cut / MANIFEST_FILE).write_text("".join(lines[:2]) + lines[2][:10])
    (cut / "annotations/instances.json").unlink()
    info = json.loads((cut / "run.json").read_text())
    (cut / "run.json").write_text(json.dumps({**info, "status": "running"}))
    report = json.loads((cut / QUOTA_FILE).read_text())
    (cut / QUOTA_FILE).write_text(json.dumps({**report, "status": "probed"}))
    summary = _run(path, cut, resume=True)
    assert summary.made == len(lines) - 2
    assert tree_bytes(cut) == one


def test_a_resume_with_another_quota_is_refused(recipe_file, tmp_path):
    quota = {"by": ["class"], "cells": [{"class": "ring", "count": 2}]}
    _run(_recipe(recipe_file, quota), tmp_path / "q")
    other = recipe_file(dict(base_recipe(), quota={**quota, "max_candidates": 50}), "other.yaml")
    with pytest.raises(OutputError, match="different recipe"):
        _run(other, tmp_path / "q", resume=True)


def test_a_class_the_recipe_never_makes_is_unmet_and_named(recipe_file, tmp_path):
    objects = dict(base_recipe()["generator"]["objects"], class_weights={"ring": 1, "square": 0})
    quota = {
        "by": ["class"],
        "cells": [{"class": "ring", "count": 2}, {"class": "square", "count": 1}],
        "max_candidates": 12,
    }
    out = tmp_path / "q"
    with pytest.raises(QuotaUnmetError) as err:
        _run(_recipe(recipe_file, quota, objects=objects), out)
    assert "{class: square}: 0 of 1" in str(err.value) and "raise max_candidates" in str(err.value)
    report = json.loads((out / QUOTA_FILE).read_text())
    assert report["unmet"] == ["{class: square}"] and report["candidates_tried"] == 12
    assert report["status"] == "unmet"
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "quota unmet" and info["unmet"] == ["{class: square}"]
    assert len(_coco(out).getImgIds()) == report["samples"] > 0  # the accepted ones are there


def test_cli_exits_non_zero_when_the_budget_is_too_small(recipe_file, tmp_path):
    path = recipe_file()
    quota = tmp_path / "quota.yaml"
    quota.write_text(
        yaml.safe_dump(
            {"by": ["class"], "cells": [{"class": "ring", "count": 500}], "max_candidates": 3}
        )
    )
    out = tmp_path / "q"
    args = ["generate", str(path), "--quota", str(quota), "--out", str(out), "-w", "1", "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "quota unmet after 3 candidates" in result.output and "{class: ring}" in result.output
    assert json.loads((out / QUOTA_FILE).read_text())["unmet"] == ["{class: ring}"]
    result = CliRunner().invoke(main, [*args, "--num", "5"])
    assert result.exit_code == 2 and "--num and a quota exclude each other" in result.output


def test_augment_condition_by_class_quota(tmp_path):
    source = write_coco(tmp_path / "src")
    profiles = parse_profiles("hflip,night", ("hflip.p=0.5", "night.p=0.3"))
    quota = tmp_path / "quota.yaml"
    cells = [
        {"condition": "night", "class": "*", "count": 3},
        {"condition": "none", "class": "square", "count": 2},
    ]
    quota.write_text(yaml.safe_dump({"by": ["condition", "class"], "cells": cells}))
    recipe = augment_recipe(
        source, profiles=profiles, formats=["coco"], per_image=1, seed=4, quota=quota
    )
    out = tmp_path / "aug"
    generate_dataset(recipe, out, workers=1, progress=False)
    coco = _coco(out)
    records = _records(out)
    read: Counter[tuple[str, str]] = Counter()
    for rec in records:
        ops = [step["op"] for step in rec["plan"]["ops"]] or ["none"]
        for ann in coco.imgToAnns[rec["index"] + 1]:
            for op in ops:
                read[op, coco.cats[ann["category_id"]]["name"]] += 1
    table = _table(out)
    assert {cell: row["achieved"] for cell, row in table.items()} == {c: read[c] for c in table}
    assert all(row["filled"] for row in table.values())
    assert set(table) == {("night", "square"), ("night", "face"), ("none", "square")}
    # Past the 2 source images the candidates are new copies: copy numbers keep growing.
    assert max(r["candidate"] for r in records) >= 2
    copies = {(r["plan"]["source_index"], r["plan"]["copy"]) for r in records}
    assert len(copies) == len(records)


def test_no_candidate_accepted_still_reports_and_fails(recipe_file, tmp_path):
    objects = dict(base_recipe()["generator"]["objects"], class_weights={"ring": 1, "square": 0})
    quota = {"by": ["class"], "cells": [{"class": "square", "count": 1}], "max_candidates": 4}
    out = tmp_path / "q"
    with pytest.raises(QuotaUnmetError, match="holds the 0 accepted samples"):
        _run(_recipe(recipe_file, quota, objects=objects), out)
    assert json.loads((out / QUOTA_FILE).read_text())["table"][0]["achieved"] == 0
    assert _coco(out).getImgIds() == []


def test_cli_augment_with_sample_level_condition_cells(tmp_path):
    source = write_coco(tmp_path / "src")
    quota = tmp_path / "quota.yaml"
    cells = [{"condition": "fog", "count": 3}, {"condition": "none", "count": 2}]
    quota.write_text(yaml.safe_dump({"by": ["condition"], "cells": cells}))
    out = tmp_path / "aug"
    args = ["augment", str(source), "--profile", "fog", "--param", "fog.p=0.2"]
    args += ["--quota", str(quota), "--out", str(out), "--workers", "1", "--quiet"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "quota (samples)" in result.output
    records = _records(out)
    fogged = sum(bool(r["plan"]["ops"]) for r in records)
    table = _table(out)
    assert table["fog",]["achieved"] == fogged >= 3
    assert table["none",]["achieved"] == len(records) - fogged >= 2
    assert len(_coco(out).getImgIds()) == len(records)


def test_quota_refuses_shards_and_remote_outputs(recipe_file, tmp_path):
    path = _recipe(recipe_file, {"by": ["class"], "cells": [{"class": "ring", "count": 2}]})
    with pytest.raises(OutputError, match="quota run writes one dataset to a local folder"):
        _run(path, tmp_path / "q", shard_size=2)
    with pytest.raises(OutputError, match="quota run writes one dataset to a local folder"):
        _run(path, "memory://quota-refused")
    assert not (tmp_path / "q").exists()
