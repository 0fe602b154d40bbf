"""A quota run around the engine: probe first, then make the accepted candidates, then
write ``quota.json`` and refuse to look like a success when a cell is unmet.

The engine calls three hooks: :func:`prepare_quota` (before it prepares the output: runs
the probe, or reads the accepted list back on ``--resume``, and sets the run's length),
:func:`save_quota_plan` (once the output folder is ready) and :func:`finish_quota` (after
the last sample: the achieved table from the samples' own records). They import
:mod:`synthgen.run` inside, since the engine imports them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthgen.config import Problem, RecipeError
from synthgen.errors import SynthgenError
from synthgen.files import atomic_write_text
from synthgen.quota.cells import decode
from synthgen.quota.probe import probe
from synthgen.quota.spec import Cell, QuotaPlan, QuotaSpec, resolve_cells, show_cell
from synthgen.recipe import Recipe

if TYPE_CHECKING:
    from synthgen.run.executor import ExecutorSpec

QUOTA_FILE = "quota.json"
UNMET = "quota unmet"
BUDGET_FACTOR = 20  # default max_candidates: this many candidates per unit of target


class QuotaUnmetError(SynthgenError):
    """Some cells are short after ``max_candidates`` candidates; the dataset holds the
    accepted samples and ``quota.json`` the table."""


def check_quota(recipe: Recipe) -> dict[Cell, int]:
    """The quota's concrete cells and targets; RecipeError for what cannot work."""
    spec = recipe.quota
    assert spec is not None
    gen = recipe.generator()
    problems = []
    if gen.modality != "image" or "document" in gen.provides:
        message = f"quotas work with image generators, not {gen.config.kind}"
        problems.append(Problem(("quota",), message))
    if recipe.head.labels.noise is not None:
        message = "cannot be combined with labels.noise (the cells count clean labels)"
        problems.append(Problem(("quota",), message))
    if getattr(gen.config, "copy_paste", None) is not None:
        message = "cannot be combined with copy-paste, which balances the run's classes itself"
        problems.append(Problem(("quota",), message))
    if problems:
        raise RecipeError(problems, recipe.source)
    profiles = getattr(gen.config, "profiles", None)
    conditions = None if profiles is None else list(dict.fromkeys(p.op for p in profiles))
    names = [c.name for c in gen.categories()]
    return resolve_cells(spec, names, conditions, recipe.source)


def budget(spec: QuotaSpec, targets: dict[Cell, int]) -> int:
    return spec.max_candidates or BUDGET_FACTOR * max(1, sum(targets.values()))


def prepare_quota(
    recipe: Recipe,
    root: Path,
    *,
    executor: ExecutorSpec,
    resume: bool,
    overwrite: bool,
    progress: bool,
) -> Recipe:
    """The recipe with its quota plan and ``num`` set to the accepted count (unchanged
    without a quota, or when the engine is going to refuse ``root`` anyway)."""
    if recipe.quota is None:
        return recipe
    from synthgen.run.manifest import read_run_info

    targets = check_quota(recipe)
    info = read_run_info(root) if root.is_dir() else None
    used = not overwrite and root.is_dir() and any(root.iterdir())
    if used and (info is None or info.get("recipe_hash") != recipe.hash or not resume):
        return recipe  # the engine refuses this folder: no probe for nothing
    plan = _saved_plan(recipe, root, targets) if resume and not overwrite else None
    if plan is None:
        plan = probe(
            recipe, recipe.quota, targets, budget(recipe.quota, targets), executor.make(), progress
        )
    head = recipe.head.model_copy(update={"num": len(plan.accepted)})
    return replace(recipe, head=head, quota_plan=plan)


def save_quota_plan(recipe: Recipe, root: Path) -> None:
    """Writes the probe's outcome, so ``--resume`` need not probe again."""
    if recipe.quota_plan is not None:
        atomic_write_text(root / QUOTA_FILE, _dumps(_report(recipe, None)))


def finish_quota(recipe: Recipe, root: Path) -> dict[str, Any] | None:
    """Writes ``quota.json`` with the achieved table, counted from the manifest's records
    (what was written); raises QuotaUnmetError naming the short cells and the fix."""
    if recipe.quota_plan is None:
        return None
    from synthgen.run.manifest import Manifest, read_run_info, write_run_info

    achieved: Counter[Cell] = Counter()
    for rec in Manifest(root).records():
        achieved.update(decode(rec.get("quota", [])))
    report = _report(recipe, achieved)
    atomic_write_text(root / QUOTA_FILE, _dumps(report))
    if report["unmet"]:
        assert recipe.quota is not None
        info = read_run_info(root) or {}
        write_run_info(root, {**info, "status": UNMET, "unmet": report["unmet"]})
        raise QuotaUnmetError(_unmet_message(recipe.quota, report, root))
    return report


def format_quota(root: Path) -> str:
    """``quota.json``'s table for the terminal."""
    report = json.loads((root / QUOTA_FILE).read_text())
    by = report["spec"]["by"]
    rows = [[*by, "target", "achieved", ""]]
    for row in report["table"]:
        mark = "" if row["filled"] else "UNMET"
        rows.append([*(str(row[k]) for k in by), str(row["target"]), str(row["achieved"]), mark])
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.append(
        f"quota ({report['unit']}): {report['samples']} samples kept of "
        f"{report['candidates_tried']} candidates tried"
    )
    return "\n".join(lines)


def _report(recipe: Recipe, achieved: Counter[Cell] | None) -> dict[str, Any]:
    spec, plan = recipe.quota, recipe.quota_plan
    assert spec is not None and plan is not None
    got = plan.predicted if achieved is None else achieved
    table = [
        {
            **dict(zip(spec.by, cell, strict=True)),
            "target": target,
            "achieved": int(got.get(cell, 0)),
            "filled": got.get(cell, 0) >= target,
        }
        for cell, target in plan.targets.items()
    ]
    unmet = [show_cell(spec, c) for c, n in plan.targets.items() if got.get(c, 0) < n]
    return {
        "recipe_hash": recipe.hash,
        "status": "probed" if achieved is None else ("unmet" if unmet else "met"),
        "unit": "instances" if spec.per_instance else "samples",
        "spec": spec.model_dump(mode="json"),
        "candidates_tried": plan.tried,
        "max_candidates": budget(spec, plan.targets),
        "samples": len(plan.accepted),
        "table": table,
        "unmet": unmet,
        "accepted": list(plan.accepted),
    }


def _saved_plan(recipe: Recipe, root: Path, targets: dict[Cell, int]) -> QuotaPlan | None:
    path = root / QUOTA_FILE
    if not path.is_file():
        return None
    saved = json.loads(path.read_text())
    if saved.get("recipe_hash") != recipe.hash:
        return None
    spec = recipe.quota
    assert spec is not None
    predicted = {
        tuple(str(row[k]) for k in spec.by): int(row["achieved"]) for row in saved["table"]
    }
    return QuotaPlan(targets, tuple(saved["accepted"]), int(saved["candidates_tried"]), predicted)


def _unmet_message(spec: QuotaSpec, report: dict[str, Any], root: Path) -> str:
    lines = [
        f"quota unmet after {report['candidates_tried']} candidates: {len(report['unmet'])} "
        f"cell(s) short; {root} holds the {report['samples']} accepted samples and "
        f"{QUOTA_FILE} the table"
    ]
    for row in report["table"]:
        if not row["filled"]:
            cell = "{" + ", ".join(f"{k}: {row[k]}" for k in spec.by) + "}"
            lines.append(f"  {cell}: {row['achieved']} of {row['target']}")
    lines.append(
        "  fix: raise max_candidates, lower those counts, or make those cells more likely "
        "in the recipe (class weights, scales, profile p)"
    )
    return "\n".join(lines)


def _dumps(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2) + "\n"
