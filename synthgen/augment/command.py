"""``synthgen augment``: command-line options into a validated augment run.

Kept apart from :mod:`synthgen.cli` so that the option parsing (profile names,
``--param profile.key=value``) is testable without click.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from synthgen.augment.profiles import PROFILE_NAMES, profile
from synthgen.config import format_loc
from synthgen.errors import OptionError
from synthgen.quota.spec import load_quota
from synthgen.recipe import Recipe, build_recipe


def parse_profiles(names: str, params: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """``night,fog`` plus ``("fog.density=0.5",)`` -> validated profile dicts, in order.

    >>> parse_profiles("fog", ("fog.density=0.2,0.4",))
    [{'op': 'fog', 'density': [0.2, 0.4]}]
    """
    ops = [n.strip() for n in names.split(",") if n.strip()]
    if not ops:
        raise OptionError(f"--profile: name one or more of {', '.join(PROFILE_NAMES)}")
    for name in ops:
        if name not in PROFILE_NAMES:
            close = difflib.get_close_matches(name, PROFILE_NAMES, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise OptionError(
                f"--profile: unknown profile '{name}'{hint} (available: {', '.join(PROFILE_NAMES)})"
            )
    settings: dict[str, dict[str, Any]] = {name: {} for name in ops}
    for item in params:
        key, eq, text = item.partition("=")
        name, dot, field = key.strip().partition(".")
        if not eq or not dot or not field:
            raise OptionError(
                f"--param {item}: write it as PROFILE.KEY=VALUE, e.g. fog.density=0.3,0.6"
            )
        if name not in settings:
            raise OptionError(
                f"--param {item}: profile '{name}' is not in --profile {names}; add it there"
            )
        text = text.strip()
        if "," in text and not text.startswith(("[", "{")):
            text = f"[{text}]"  # a range written as min,max
        try:
            settings[name][field] = yaml.safe_load(text)
        except yaml.YAMLError:
            raise OptionError(f"--param {item}: cannot read the value {text!r}") from None
    out = []
    for name in ops:
        try:
            profile(name, **settings[name])
        except ValidationError as err:
            problems = "; ".join(_problem(name, e) for e in err.errors())
            raise OptionError(f"--param: {problems}") from None
        out.append({"op": name, **settings[name]})
    return out


def _problem(name: str, error: Any) -> str:
    # The union's tag is the first element of the location; the rest is the field path.
    loc = format_loc(tuple(error["loc"][1:])) or "?"
    if error["type"] == "extra_forbidden":
        return f"{name}.{loc}: no such parameter of {name} (see synthgen list)"
    return f"{name}.{loc}: {error['msg']}"


def augment_recipe(
    source: Path,
    *,
    profiles: list[dict[str, Any]],
    formats: list[str],
    per_image: int,
    seed: int,
    source_format: str | None = None,
    images: Path | None = None,
    split: str | None = None,
    min_visibility: float = 0.1,
    min_area: int = 4,
    image_format: str = "png",
    copy_paste: dict[str, Any] | None = None,
    label_noise: dict[str, Any] | None = None,
    quota: Path | None = None,
) -> Recipe:
    """The run that ``synthgen augment`` makes: every copy of every source image.

    ``copy_paste`` (see :func:`parse_copy_paste`) gets the run's ``min_visibility`` and
    ``min_area`` as the visibility every paste must leave to existing instances, so a
    paste never drops one and the balance plan's counts hold. ``label_noise`` (see
    :func:`synthgen.label_noise.parse_label_noise`) becomes the recipe's ``labels.noise``.
    ``quota`` is a quota file (:mod:`synthgen.quota.spec`): the run then makes copies until
    its cells are filled, whatever ``per_image`` says (it sets the order of the copies)."""
    generator: dict[str, Any] = {
        "kind": "augment",
        "source": str(source.resolve()),
        "source_format": source_format,
        "images": None if images is None else str(images.resolve()),
        "split": split,
        "profiles": profiles,
        "per_image": per_image,
    }
    if copy_paste is not None:
        generator["copy_paste"] = {
            "keep_visibility": min_visibility,
            "keep_area": min_area,
            **copy_paste,
        }
    data = {
        "name": f"augment {source.name}",
        "seed": seed,
        "num": 1,
        "generator": generator,
        "labels": {"min_visibility": min_visibility, "min_area": min_area, "noise": label_noise},
        "output": {"formats": {f: {} for f in formats}, "image": {"format": image_format}},
    }
    recipe = build_recipe(data, base_dir=Path.cwd(), source="synthgen augment")
    from synthgen.augment.generator import AugmentGenerator

    gen = recipe.generator()
    assert isinstance(gen, AugmentGenerator)
    head = recipe.head.model_copy(update={"num": gen.num_samples()})
    return replace(recipe, head=head, quota=None if quota is None else load_quota(quota))


def parse_copy_paste(classes: str, target: str, params: tuple[str, ...] = ()) -> dict[str, Any]:
    """``--copy-paste rare|a,b``, ``--target-balance uniform|a=1,b=2`` and
    ``--paste-param key=value`` into a copy-paste config (validated).

    >>> parse_copy_paste("rare", "car=1,person=2")
    {'classes': 'rare', 'target': {'car': 1.0, 'person': 2.0}}
    """
    names = [n.strip() for n in classes.split(",") if n.strip()]
    if not names:
        raise OptionError("--copy-paste: write 'rare' or class names, e.g. person,bicycle")
    out: dict[str, Any] = {"classes": "rare" if names == ["rare"] else names}
    text = target.strip()
    if text == "uniform":
        out["target"] = "uniform"
    else:
        weights: dict[str, float] = {}
        for item in text.split(","):
            name, eq, value = item.partition("=")
            try:
                weight = float(value)
            except ValueError:
                weight = -1.0
            if not eq or not name.strip() or not weight > 0 or weight == float("inf"):
                raise OptionError(
                    f"--target-balance {target}: write 'uniform' or CLASS=WEIGHT pairs with "
                    f"positive weights, e.g. person=1,bicycle=2 (got {item!r})"
                )
            weights[name.strip()] = weight
        out["target"] = weights
    for item in params:
        key, eq, value = item.partition("=")
        if not eq:
            raise OptionError(f"--paste-param {item}: write it as KEY=VALUE, e.g. ground=true")
        value = value.strip()
        if "," in value and not value.startswith(("[", "{")):
            value = f"[{value}]"
        out[key.strip()] = yaml.safe_load(value)
    from synthgen.augment.copy_paste import CopyPasteConfig

    try:
        CopyPasteConfig(**out)
    except ValidationError as err:
        problems = "; ".join(
            f"{format_loc(tuple(e['loc'])) or '?'}: "
            + ("no such option" if e["type"] == "extra_forbidden" else e["msg"])
            for e in err.errors()
        )
        raise OptionError(f"copy-paste: {problems}") from None
    return out


def write_balance_report(recipe: Recipe, root: Path, after: dict[str, int]) -> dict[str, Any]:
    """Writes ``balance.json`` beside run.json: the plan's report plus the counts the run
    achieved (``after``, per class) and each target class's miss (target - after)."""
    from synthgen.augment.generator import AugmentGenerator
    from synthgen.files import atomic_write_text

    gen = recipe.generator()
    assert isinstance(gen, AugmentGenerator)
    report = dict(gen.balance_report(recipe.seed))
    report["after"] = {c: int(after.get(c, 0)) for c in report["before"]}
    report["missed"] = {
        c: t - report["after"][c] for c, t in report["target"].items() if t != report["after"][c]
    }
    atomic_write_text(root / "balance.json", json.dumps(report, indent=2) + "\n")
    return report


def format_balance(report: dict[str, Any]) -> str:
    """The report as a short table for the terminal."""
    lines = ["class            before  target   after"]
    for c, before in report["before"].items():
        target = report["target"].get(c, "-")
        lines.append(f"{c:<15} {before:>7} {target!s:>7} {report['after'][c]:>7}")
    lines += [f"unmet: {c}: {why}" for c, why in report["unmet"].items()]
    return "\n".join(lines)
