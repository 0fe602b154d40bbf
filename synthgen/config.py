"""Recipe loading: YAML to pydantic models, with errors that name the file, line and key.

Shared building blocks live here: :class:`StrictModel` (unknown keys are errors), ranges
written naturally (``[0.3, 1.2]``, ``{min: 2, max: 12}`` or a single number), and asset
paths checked before any work starts.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union

import numpy as np
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from synthgen.errors import SynthgenError

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every recipe section: unknown keys are rejected, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Problem:
    loc: Loc
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        key = format_loc(self.loc) or "(top level)"
        return f"{where}{key}: {self.message}"


class RecipeError(SynthgenError):
    """A recipe that cannot run, with every problem found and where it is."""

    def __init__(
        self,
        problems: Sequence[Problem],
        source: Path | str | None = None,
        notes: Sequence[str] = (),
    ) -> None:
        self.problems = list(problems)
        self.source = source
        self.notes = list(notes)  # context, e.g. which keys came from the command line
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"{self.source}: " if self.source else ""
        n = len(self.problems)
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} in the recipe"]
        lines += [f"  {p}" for p in self.problems]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def format_loc(loc: Loc) -> str:
    """``("generator", "templates", "en", 0)`` -> ``generator.templates.en[0]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---------------------------------------------------------------------------- ranges


class _Range(StrictModel):
    min: float
    max: float

    @model_validator(mode="before")
    @classmethod
    def _natural_forms(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("expected a number, a [min, max] pair or {min: .., max: ..}")
        if isinstance(value, int | float):
            return {"min": value, "max": value}
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError(f"a range is [min, max], got {len(value)} values")
            return {"min": value[0], "max": value[1]}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        return self


class FloatRange(_Range):
    """A closed interval of floats; ``sample`` draws uniformly from it."""

    min: float
    max: float

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.min, self.max)) if self.max > self.min else self.min

    def sample_log(self, rng: np.random.Generator) -> float:
        """Log-uniform draw, natural for scales: as many halvings as doublings."""
        if self.max == self.min:
            return self.min
        return float(np.exp(rng.uniform(np.log(self.min), np.log(self.max))))


class IntRange(_Range):
    """A closed interval of integers; ``sample`` draws uniformly, both ends included."""

    min: int
    max: int

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.min, self.max + 1))


def within(
    ge: float | None = None, le: float | None = None, gt: float | None = None
) -> AfterValidator:
    """Bounds for a range field: ``Annotated[FloatRange, within(ge=0, le=1)]``."""

    def check(r: _Range) -> _Range:
        lo, hi = r.min, r.max
        if ge is not None and lo < ge:
            raise ValueError(f"values must be >= {ge}, got {lo}")
        if gt is not None and lo <= gt:
            raise ValueError(f"values must be > {gt}, got {lo}")
        if le is not None and hi > le:
            raise ValueError(f"values must be <= {le}, got {hi}")
        return r

    return AfterValidator(check)


Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Probability = Fraction

# ---------------------------------------------------------------------------- assets


def resolve_path(path: Path, base_dir: Path) -> Path:
    """Recipe paths are relative to the recipe file's folder, not to the shell's."""
    path = path.expanduser()
    return path if path.is_absolute() else (base_dir / path)


def _check_exists(kind: Literal["dir", "file"]) -> AfterValidator:
    def check(path: Path, info: ValidationInfo) -> Path:
        base = Path((info.context or {}).get("base_dir", "."))
        full = resolve_path(path, base)
        ok = full.is_dir() if kind == "dir" else full.is_file()
        if not ok:
            what = "folder" if kind == "dir" else "file"
            raise ValueError(
                f"{what} not found: {full} (relative paths start at the recipe's folder {base})"
            )
        return path

    return AfterValidator(check)


ExistingDir = Annotated[Path, _check_exists("dir")]
ExistingFile = Annotated[Path, _check_exists("file")]

# ---------------------------------------------------------------------------- common sections


class LabelNoiseConfig(StrictModel):
    """Label noise for research (see :mod:`synthgen.label_noise`): each rate in [0, 1]."""

    flip: Fraction = Field(0.0, description="P(an instance's class becomes another class)")
    jitter: Fraction = Field(
        0.0, description="box edge noise: each edge moves by N(0, jitter * box width/height)"
    )
    miss: Fraction = Field(0.0, description="P(an instance is removed from the labels)")
    extra: Fraction = Field(
        0.0, description="P(an instance spawns a spurious box of a random class)"
    )
    flip_to: dict[str, dict[str, Annotated[float, Field(gt=0.0)]]] | None = Field(
        None,
        description="confusion weights: true class -> {noisy class: weight}; a flip of a "
        "class without a row is uniform over the other classes",
    )

    @model_validator(mode="after")
    def _no_self_flip(self) -> LabelNoiseConfig:
        for true, row in (self.flip_to or {}).items():
            if not row:
                raise ValueError(f"flip_to.{true}: give one or more classes with weights")
            if true in row:
                raise ValueError(f"flip_to.{true}: a flip never keeps the class; remove {true}")
        return self


class LabelsConfig(StrictModel):
    """Which placed objects become labels."""

    min_visibility: Fraction = Field(
        0.1, description="drop objects with less of their pixels visible than this fraction"
    )
    min_area: int = Field(16, ge=1, description="drop objects with fewer visible pixels")
    noise: LabelNoiseConfig | None = Field(
        None, description="inject documented label noise; clean labels go to clean/"
    )


class ImageConfig(StrictModel):
    format: Literal["jpg", "png", "webp"] = "jpg"
    quality: int = Field(95, ge=1, le=100, description="JPEG/WebP quality")


class OutputConfig(StrictModel):
    image: ImageConfig = ImageConfig()
    formats: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {"coco": dict[str, Any]()},
        description="writers by name, as a list or a mapping of name to options",
    )

    @model_validator(mode="before")
    @classmethod
    def _formats_as_mapping(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("formats"), list):
            value = {**value, "formats": {name: {} for name in value["formats"]}}
        if isinstance(value, dict) and isinstance(value.get("formats"), dict):
            value = {
                **value,
                "formats": {k: (v or {}) for k, v in value["formats"].items()},
            }
        return value


class RecipeHead(StrictModel):
    """The recipe's top level; ``generator`` is validated by the generator's own model."""

    name: str | None = None
    description: str | None = None
    seed: int = Field(0, ge=0)
    num: int = Field(100, ge=1, description="number of samples")
    generator: dict[str, Any]
    labels: LabelsConfig = LabelsConfig()
    output: OutputConfig = OutputConfig()
    quota: dict[str, Any] | None = Field(
        None, description="class x attribute quotas (synthgen.quota.spec); --quota FILE wins"
    )


# ---------------------------------------------------------------------------- loading


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parses YAML safely and keeps the node tree for line numbers in error messages."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError([Problem((), f"recipe file not found: {path}")]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise RecipeError([Problem((), f"cannot read the recipe: {err}")], path) from None
    try:
        return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise RecipeError([Problem((), f"invalid YAML: {err}", line)], path) from None


def line_of(node: yaml.Node | None, loc: Loc) -> int | None:
    """1-based line of the YAML node at ``loc`` (the deepest one that exists)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(part)]
            if not match:
                break
            key, node = match[0]
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def validate(
    model: type[M],
    data: Any,
    *,
    base_dir: Path,
    loc: Loc = (),
    node: yaml.Node | None = None,
    source: Path | str | None = None,
) -> M:
    """Validates ``data`` against ``model``; raises RecipeError naming each bad key and line."""
    try:
        return model.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as err:
        problems = [_problem(model, loc, e, node) for e in err.errors()]
        raise RecipeError(problems, source) from None


def _problem(model: type[BaseModel], prefix: Loc, error: Any, node: yaml.Node | None) -> Problem:
    inner = tuple(p for p in error["loc"] if not _is_union_tag(p))
    full = prefix + inner
    msg = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, inner[:-1])
        msg = "unknown key"
        close = difflib.get_close_matches(str(inner[-1]), allowed, n=1)
        if close:
            msg += f"; did you mean '{close[0]}'?"
        if allowed:
            msg += f" (allowed here: {', '.join(allowed)})"
    elif error["type"] == "missing":
        msg = "required key is missing"
    elif "input" in error and error["type"] not in ("value_error", "assertion_error"):
        msg += f" (got {error['input']!r})"
    return Problem(full, msg, line_of(node, full))


def _is_union_tag(part: Any) -> bool:
    # pydantic inserts the union member's name into the loc, e.g. 'function-after[...]'
    return isinstance(part, str) and ("[" in part or part in ("int", "float", "str"))


def _allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names of the model found at ``loc``, for 'did you mean' hints."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) in (list, tuple, dict):
            current = typing.get_args(current)[-1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    """Strips Annotated and Optional so the walker can see the model inside."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            tp = models[0] if models else members[0]
        else:
            return tp


def recipe_hash(parts: dict[str, Any]) -> str:
    """Stable hash of a normalized recipe: what decides every output byte."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
