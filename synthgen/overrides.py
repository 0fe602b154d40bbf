"""Command-line overrides of generator keys: ``--locale`` and ``--balance``.

Each flag replaces one key of the recipe's ``generator`` section; which key depends on the
generator kind, and the two tables below are the only place that says so. The recipe is
edited before validation, so an overridden value gets exactly the checks (and the error
messages) it would get in the file, and the run's ``recipe.yaml`` and hash record it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from synthgen.config import Loc, Problem, RecipeError, format_loc
from synthgen.errors import OptionError
from synthgen.registry import GENERATORS

Balance = Literal["uniform"] | dict[str, float]


@dataclass(frozen=True)
class BalanceKey:
    """Where a generator keeps its class balance, and how it says "all classes alike"."""

    key: Loc
    uniform: Any
    excludes: Loc | None = None  # a key that fixes the classes another way


# generator kind -> key under ``generator`` that each flag replaces
LOCALE_KEYS: dict[str, Loc] = {
    "text": ("locales",),
    "document": ("locales",),
    "text_lines": ("locales",),
}
BALANCE_KEYS: dict[str, BalanceKey] = {
    "text": BalanceKey(("classes", "balance"), uniform="uniform"),
    "composite": BalanceKey(
        ("objects", "class_weights"), uniform=None, excludes=("objects", "class_counts")
    ),
    "scene3d": BalanceKey(
        ("objects", "class_weights"), uniform=None, excludes=("objects", "class_counts")
    ),
}


@dataclass(frozen=True)
class Override:
    """A recipe key replaced from the command line, for error messages."""

    flag: str  # e.g. "--locale de_DE,fr_FR"
    key: Loc  # e.g. ("generator", "locales")


def parse_weights(text: str) -> dict[str, float]:
    """Names with optional weights, as the flags take them; a bare name weighs 1.

    >>> parse_weights("de_DE=2, fr_FR")
    {'de_DE': 2.0, 'fr_FR': 1.0}
    """
    weights: dict[str, float] = {}
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        name, has_weight, value = (part.strip() for part in item.partition("="))
        if not name:
            raise ValueError(f"'{item}' has no name; write NAME or NAME=WEIGHT, comma-separated")
        if name in weights:
            raise ValueError(f"'{name}' is given twice")
        try:
            weight = float(value) if has_weight else 1.0
        except ValueError:
            weight = -1.0
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError(f"'{item}': the weight must be a number >= 0")
        weights[name] = weight
    if not weights:
        raise ValueError("give at least one name, e.g. de_DE,fr_FR or de_DE=2,fr_FR=1")
    if not any(w > 0 for w in weights.values()):
        raise ValueError("at least one weight must be above 0")
    return weights


def apply_overrides(
    data: dict[str, Any],
    source: Path | str,
    *,
    locales: dict[str, float] | None = None,
    balance: Balance | None = None,
) -> list[Override]:
    """Writes the flags' values into ``data["generator"]``; returns what was replaced.

    Raises OptionError when a flag does not fit the recipe's generator. A recipe without
    a known generator kind is left as it is: its validation says what is wrong.
    """
    generator = data.get("generator")
    kind = generator.get("kind") if isinstance(generator, dict) else None
    if not isinstance(generator, dict) or kind not in GENERATORS.names():
        return []
    done = []
    if locales is not None:
        path = _key(LOCALE_KEYS, kind, "--locale", "locales")
        done += _set(generator, path, dict(locales), "--locale", _format(locales), source)
    if balance is not None:
        target = _key(BALANCE_KEYS, kind, "--balance", "class balance")
        if target.excludes is not None and _get(generator, target.excludes) is not None:
            raise OptionError(
                f"--balance cannot be combined with {_generator_key(target.excludes)} in "
                f"{source}, which fixes the objects of each class per sample; remove it from "
                "the recipe to draw classes by weight"
            )
        if balance == "uniform":
            value, shown = target.uniform, "uniform"
        else:
            value, shown = dict(balance), _format(balance)
        done += _set(generator, target.key, value, "--balance", shown, source)
    return done


def note_overrides(err: RecipeError, overrides: Sequence[Override]) -> RecipeError:
    """``err`` with a note per flag; problems at an overridden key lose their line number,
    since their value is not in the file."""
    if not overrides:
        return err

    def replaced(loc: Loc) -> bool:
        return any(loc[: len(o.key)] == o.key for o in overrides)

    problems = [Problem(p.loc, p.message, None) if replaced(p.loc) else p for p in err.problems]
    notes = [
        *err.notes,
        *(f"{o.flag} replaced the recipe's {format_loc(o.key)}" for o in overrides),
    ]
    return RecipeError(problems, err.source, notes)


def _key(table: dict[str, Any], kind: str, flag: str, what: str) -> Any:
    if kind not in table:
        *others, last = sorted(table)
        kinds = f"{', '.join(others)} and {last}" if others else last
        raise OptionError(
            f"{flag}: the {kind} generator has no {what} to set ({flag} works with the "
            f"{kinds} generators)"
        )
    return table[kind]


def _set(
    generator: dict[str, Any], path: Loc, value: Any, flag: str, shown: str, source: Path | str
) -> list[Override]:
    parent = _get(generator, path[:-1])
    if parent is None:
        raise OptionError(
            f"{flag} sets {_generator_key(path)}, but {source} has no "
            f"{_generator_key(path[:-1])} section to set it in"
        )
    if not isinstance(parent, dict):
        return []  # malformed: validation reports it
    parent[path[-1]] = value
    return [Override(f"{flag} {shown}", ("generator", *path))]


def _get(mapping: dict[str, Any], path: Loc) -> Any:
    node: Any = mapping
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _generator_key(path: Loc) -> str:
    return format_loc(("generator", *path))


def _format(weights: dict[str, float]) -> str:
    return ",".join(n if w == 1 else f"{n}={w:g}" for n, w in weights.items())
