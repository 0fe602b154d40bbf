"""``synthgen augment``: command-line options into a validated augment run.

Kept apart from :mod:`synthgen.cli` so that the option parsing (profile names,
``--param profile.key=value``) is testable without click.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from synthgen.augment.profiles import PROFILE_NAMES, profile
from synthgen.config import format_loc
from synthgen.errors import OptionError
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
) -> Recipe:
    """The run that ``synthgen augment`` makes: every copy of every source image."""
    generator: dict[str, Any] = {
        "kind": "augment",
        "source": str(source.resolve()),
        "source_format": source_format,
        "images": None if images is None else str(images.resolve()),
        "split": split,
        "profiles": profiles,
        "per_image": per_image,
    }
    data = {
        "name": f"augment {source.name}",
        "seed": seed,
        "num": 1,
        "generator": generator,
        "labels": {"min_visibility": min_visibility, "min_area": min_area},
        "output": {"formats": {f: {} for f in formats}, "image": {"format": image_format}},
    }
    recipe = build_recipe(data, base_dir=Path.cwd(), source="synthgen augment")
    from synthgen.augment.generator import AugmentGenerator

    gen = recipe.generator()
    assert isinstance(gen, AugmentGenerator)
    head = recipe.head.model_copy(update={"num": gen.num_samples()})
    return replace(recipe, head=head)
