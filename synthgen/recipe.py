"""A loaded recipe: the validated head, the generator's config and the writers' options.

Everything is checked here, before any work starts: unknown keys, wrong types, ranges,
missing asset paths, unknown generator or writer names, writers that would overwrite each
other's files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from synthgen import __version__
from synthgen.config import (
    Loc,
    Problem,
    RecipeError,
    RecipeHead,
    line_of,
    read_yaml,
    recipe_hash,
    validate,
)
from synthgen.generators.base import Generator, GeneratorConfig
from synthgen.overrides import Balance, Override, apply_overrides, note_overrides
from synthgen.quota.spec import QuotaPlan, QuotaSpec, load_quota
from synthgen.registry import GENERATORS, WRITERS, Registry, UnknownPluginError
from synthgen.sample import Category
from synthgen.writers.base import Writer, WriterConfig


@dataclass
class Recipe:
    head: RecipeHead
    generator_config: GeneratorConfig
    writer_configs: dict[str, WriterConfig]
    base_dir: Path
    source: str
    overrides: tuple[Override, ...] = ()  # generator keys set from the command line
    quota: QuotaSpec | None = None  # class x attribute quotas (synthgen.quota)
    quota_plan: QuotaPlan | None = None  # the probe's outcome: which candidates are samples
    _generator: Generator | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        # Workers build their own generator: its caches must not travel through pickle.
        return {**self.__dict__, "_generator": None}

    @property
    def seed(self) -> int:
        return self.head.seed

    @property
    def num(self) -> int:
        return self.head.num

    def candidate(self, index: int) -> int:
        """The candidate whose plan sample ``index`` gets: itself, except in a quota run."""
        return index if self.quota_plan is None else self.quota_plan.accepted[index]

    def generator(self) -> Generator:
        """The generator for this recipe, built once per process."""
        if self._generator is None:
            cls = GENERATORS.get(self.generator_config.kind)
            try:
                self._generator = cls(self.generator_config, self.base_dir)
            except RecipeError as err:  # checks that need the assets, e.g. class names
                named = RecipeError(err.problems, err.source or self.source, err.notes)
                raise note_overrides(named, self.overrides) from err
        return self._generator

    def categories(self) -> list[Category]:
        return self.generator().categories()

    def writers(self, root: Path, generator: Generator | None = None) -> list[Writer]:
        """The recipe's writers, given this process's generator (built once if not given)."""
        gen = self.generator() if generator is None else generator
        cats = gen.categories()
        writers = [
            WRITERS.get(n)(root, cfg, cats, generator=gen) for n, cfg in self.writer_configs.items()
        ]
        for writer in writers:  # all refusals before the first file appears
            writer.check()
        return writers

    def normalized(self) -> dict[str, Any]:
        """Everything that decides the output bytes (``num`` excluded: runs can grow)."""
        out = {
            "seed": self.head.seed,
            "generator": self.generator_config.model_dump(mode="json"),
            "labels": self.head.labels.model_dump(mode="json", exclude_none=True),
            "image": self.head.output.image.model_dump(mode="json"),
            "formats": {n: c.model_dump(mode="json") for n, c in self.writer_configs.items()},
        }
        if self.quota is not None:  # only then: the hashes of other recipes stay as they were
            out["quota"] = self.quota.model_dump(mode="json")
        return out

    @property
    def hash(self) -> str:
        return recipe_hash({**self.normalized(), "synthgen": __version__})

    def to_yaml(self) -> str:
        """The normalized recipe (defaults filled in), enough to reproduce the dataset."""
        doc = {
            "name": self.head.name,
            "seed": self.head.seed,
            "num": self.head.num,
            "generator": self.generator_config.model_dump(mode="json"),
            "labels": self.head.labels.model_dump(mode="json", exclude_none=True),
            "output": {
                "image": self.head.output.image.model_dump(mode="json"),
                "formats": {n: c.model_dump(mode="json") for n, c in self.writer_configs.items()},
            },
        }
        if self.quota is not None:
            doc["quota"] = self.quota.model_dump(mode="json")
        return yaml.safe_dump(doc, sort_keys=False)


def load_recipe(
    path: Path | str,
    *,
    num: int | None = None,
    seed: int | None = None,
    formats: list[str] | None = None,
    locales: dict[str, float] | None = None,
    balance: Balance | None = None,
    quota: Path | str | None = None,
) -> Recipe:
    """Reads and validates a recipe file; command-line overrides win over the file.

    ``quota`` is a quota file (:mod:`synthgen.quota.spec`); it replaces the recipe's
    ``quota:`` key.

    ``locales`` and ``balance`` replace the generator's locales and class balance (the keys
    depend on the generator; see synthgen.overrides)::

        load_recipe("templates/intents.yaml", locales={"de_DE": 1.0}, balance="uniform")
    """
    path = Path(path)
    data, node = read_yaml(path)
    if not isinstance(data, dict):
        raise RecipeError(
            [Problem((), "a recipe is a mapping with at least a 'generator' key")], path
        )
    if num is not None:
        data["num"] = num
    if seed is not None:
        data["seed"] = seed
    if formats is not None:
        output = dict(data.get("output") or {})
        given = output.get("formats") or {}
        given = {n: {} for n in given} if isinstance(given, list) else dict(given)
        output["formats"] = {n: given.get(n) or {} for n in formats}
        data["output"] = output
    overrides = apply_overrides(data, path, locales=locales, balance=balance)
    spec = None if quota is None else load_quota(quota)
    if spec is not None:
        data.pop("quota", None)
    recipe = build_recipe(
        data, base_dir=path.parent.resolve(), source=str(path), node=node, overrides=overrides
    )
    return recipe if spec is None else replace(recipe, quota=spec)


def build_recipe(
    data: dict[str, Any],
    *,
    base_dir: Path,
    source: str = "<recipe>",
    node: yaml.Node | None = None,
    overrides: Sequence[Override] = (),
) -> Recipe:
    """Validates a recipe given as a mapping (the same checks as a file).

    Every section is checked even when another fails, so one run shows every problem.
    ``overrides`` name the keys that came from the command line, for the error message.
    """
    problems: list[Problem] = []
    head = None
    try:
        head = validate(RecipeHead, data, base_dir=base_dir, node=node, source=source)
    except RecipeError as err:
        problems += err.problems
    gen_config = None
    if isinstance(data.get("generator"), dict):
        gen_config = _validate_plugin(
            GENERATORS, data["generator"], ("generator",), base_dir, node, source, problems
        )
    provides = _provides(data.get("generator"))
    if head is not None and provides == {"text"} and "formats" not in (data.get("output") or {}):
        # The image default (coco) cannot hold text.
        output = head.output.model_copy(update={"formats": {"jsonl": {}}})
        head = head.model_copy(update={"output": output})
    writer_configs: dict[str, WriterConfig] = {}
    for name, options in (head.output.formats if head else {}).items():
        cfg = _validate_plugin(
            WRITERS,
            options,
            ("output", "formats", name),
            base_dir,
            node,
            source,
            problems,
            named=name,
        )
        if cfg is not None:
            writer_configs[name] = cfg
    quota = None
    if head is not None and head.quota is not None:
        try:
            quota = validate(
                QuotaSpec, head.quota, base_dir=base_dir, loc=("quota",), node=node, source=source
            )
        except RecipeError as err:
            problems += err.problems
    problems += _writer_clashes(writer_configs, node)
    problems += _modality_mismatches(provides, writer_configs, node)
    if problems or head is None or gen_config is None:
        raise note_overrides(RecipeError(problems, source), overrides)
    return Recipe(head, gen_config, writer_configs, base_dir, source, tuple(overrides), quota)


def _validate_plugin(
    registry: Registry,
    data: dict[str, Any],
    loc: Loc,
    base_dir: Path,
    node: yaml.Node | None,
    source: str,
    problems: list[Problem],
    named: str | None = None,
) -> Any:
    kind = named or data.get("kind")
    if not kind:
        where = (*loc, "kind")
        message = f"required: one of {', '.join(registry.names())}"
        problems.append(Problem(where, message, line_of(node, where)))
        return None
    try:
        cls = registry.get(kind)
    except UnknownPluginError as err:
        where = loc + (() if named else ("kind",))
        problems.append(Problem(where, str(err), line_of(node, where)))
        return None
    try:
        return validate(cls.config_type, data, base_dir=base_dir, loc=loc, node=node, source=source)
    except RecipeError as err:
        problems.extend(err.problems)
        return None


def _writer_clashes(configs: dict[str, WriterConfig], node: yaml.Node | None) -> list[Problem]:
    owners: dict[str, str] = {}
    problems = []
    for name in configs:
        for rel in WRITERS.get(name).owns:
            if rel in owners:
                where = ("output", "formats", name)
                message = f"writes {rel} like '{owners[rel]}' does; choose one of the two"
                problems.append(Problem(where, message, line_of(node, where)))
            owners.setdefault(rel, name)
    return problems


def _provides(generator: Any) -> frozenset[str] | None:
    """What the recipe's generator's samples carry ("image", "text", "document"); None if
    the generator is unknown."""
    try:
        return GENERATORS.get(generator["kind"]).provides if isinstance(generator, dict) else None
    except (UnknownPluginError, KeyError):
        return None


def _modality_mismatches(
    provides: frozenset[str] | None, configs: dict[str, WriterConfig], node: yaml.Node | None
) -> list[Problem]:
    """Formats that cannot encode what the generator makes (conll for images, coco for
    text, funsd for photos), with the formats that can."""
    if provides is None:
        return []
    problems = []
    fitting = [n for n in WRITERS.names() if WRITERS.get(n).modality in provides]
    for name in configs:
        if WRITERS.get(name).modality not in provides:
            where = ("output", "formats", name)
            message = (
                f"'{name}' encodes {WRITERS.get(name).modality} samples, but this generator "
                f"makes {' and '.join(sorted(provides))} samples; formats for them: "
                f"{', '.join(fitting)}"
            )
            problems.append(Problem(where, message, line_of(node, where)))
    return problems
