"""The text generator: template sentences with exact entity spans, classes and attributes.

``plan`` draws the locale, the attributes and the class (at random, or by exact quota from
the sample index), then a template of that class in the locale's language, one
alternative per ``[a|b]`` group and one value per slot. ``render`` concatenates the parts
and records each entity's [start, end) as its value is appended.

A sentence takes less time than creating a numpy Generator, so in a run sample i does not
get its own ``default_rng([seed, i])``: its random numbers are its row in a block of
uniforms that one rng draws for 256 neighbouring samples (``balance.Uniforms``), still a
function of (seed, i) alone.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from synthgen.config import Problem, RecipeError
from synthgen.generators.balance import Categorical, Uniforms
from synthgen.generators.base import Generator
from synthgen.generators.text.config import TextConfig
from synthgen.generators.text.template import Choice, Part, Slot, parse
from synthgen.generators.text.values import BUILTIN_SLOTS, ValuePools, language
from synthgen.sample import Category, Span, TextSample

_LITERAL, _CHOICE, _SLOT = 0, 1, 2


def _draws(template: tuple[Part, ...]) -> list[tuple[int, int, str | None]]:
    return [
        (k, len(p.options), None) if isinstance(p, Choice) else (k, 0, p.name)
        for k, p in enumerate(template)
        if isinstance(p, Choice | Slot)
    ]


class TextGenerator(Generator[TextConfig]):
    config_type = TextConfig
    modality: ClassVar[str] = "text"
    provides: ClassVar[frozenset[str]] = frozenset({"text"})
    chunk: ClassVar[int] = 1024  # samples per task sent to a worker: they are tiny

    def __init__(self, config: TextConfig, base_dir: Path) -> None:
        super().__init__(config, base_dir)
        self.templates: dict[str, list[tuple[Part, ...]]] = {
            lang: [parse(s.text) for s in specs] for lang, specs in config.templates.items()
        }
        self.by_class: dict[tuple[str, str | None], list[int]] = {}
        for lang, specs in config.templates.items():
            for k, spec in enumerate(specs):
                self.by_class.setdefault((lang, spec.label), []).append(k)
        mode = config.mode
        self.locales = Categorical(config.locales, mode, "locale")
        self.attributes = {
            name: Categorical(weights, mode, f"attribute:{name}")
            for name, weights in config.attributes.items()
        }
        weights = config.class_weights()
        self.classes = Categorical(weights, mode, "class") if weights else None
        self.pools = ValuePools(config.pool_size, config.slots)
        self.entities = {
            p.name: self._entity(p.name)
            for parts in self.templates.values()
            for template in parts
            for p in template
            if isinstance(p, Slot)
        }
        # The templates taken apart once for the per-sample loops: what plan draws (part
        # position, number of options or 0 for a slot, slot name) and what render joins.
        self._draws = {
            lang: [_draws(template) for template in parts] for lang, parts in self.templates.items()
        }
        self._joins = {
            lang: [self._joins_of(template) for template in parts]
            for lang, parts in self.templates.items()
        }
        # Uniforms per sample: the locale, the class, the template, one per attribute,
        # then one per part of the longest template (a literal's number goes unused).
        longest = max(len(t) for parts in self.templates.values() for t in parts)
        self.uniforms = Uniforms(3 + len(self.attributes) + longest, "text")

    def categories(self) -> list[Category]:
        """Entity types, in a fixed order (built-in slots first, then custom ones)."""
        names: list[str] = []
        for slot, (entity, _) in BUILTIN_SLOTS.items():
            if entity not in names and self._uses(slot):
                names.append(entity)
        for slot, spec in self.config.slots.items():
            if spec.entity and spec.entity not in names and self._uses(slot):
                names.append(spec.entity)
        return [Category(k, name, supercategory="entity") for k, name in enumerate(names, 1)]

    def check(self) -> None:
        from faker import Faker

        for name, spec in self.config.slots.items():
            if spec.provider is not None and not callable(getattr(Faker(), spec.provider, None)):
                message = f"Faker has no provider '{spec.provider}' (e.g. job, color_name)"
                raise RecipeError([Problem(("generator", "slots", name, "provider"), message)])

    def fingerprint(self) -> dict[str, Any]:
        # Faker's values for a seed change between releases: a resumed run must not mix.
        return {"faker": version("faker")}

    # ------------------------------------------------------------------ plan

    def plan_index(self, seed: int, index: int) -> dict[str, Any]:
        """The plan of sample ``index`` in a run: from its row of block uniforms."""
        return self._plan(self.uniforms.row(seed, index), seed, index)

    def plan_sample(self, rng: np.random.Generator, seed: int, index: int) -> dict[str, Any]:
        return self._plan(rng.random(self.uniforms.width).tolist(), seed, index)

    def plan(self, rng: np.random.Generator) -> dict[str, Any]:
        return self.plan_sample(rng, 0, 0)

    def _plan(self, u: list[float], seed: int, index: int) -> dict[str, Any]:
        """The plan from the sample's uniform numbers: u[0] the locale, u[1] the class,
        u[2] the template, then one per attribute and one per part of the template."""
        locale = self.locales.draw(u[0], seed, index)
        label = self.classes.draw(u[1], seed, index) if self.classes else None
        draws = zip(self.attributes.items(), u[3:], strict=False)
        attributes = {name: c.draw(x, seed, index) for (name, c), x in draws}
        lang = language(locale)
        pool = self.by_class[(lang, label)]
        k = pool[int(u[2] * len(pool))]
        gender = attributes.get("gender")
        choices, values = [], []
        first = 3 + len(attributes)  # u is as wide as the longest template needs
        for position, options_count, slot in self._draws[lang][k]:
            x = u[first + position]
            if slot is None:
                choices.append(int(x * options_count))
            else:
                options = self.pools.pool(slot, locale, gender)
                values.append(options[int(x * len(options))])
        plan: dict[str, Any] = {"locale": locale, "template": f"{lang}/{k}"}
        if label is not None:
            plan["class"] = label
        return plan | {"attributes": attributes, "choices": choices, "values": values}

    # ------------------------------------------------------------------ render

    def render(self, plan: dict[str, Any]) -> TextSample:  # type: ignore[override]
        lang, k = plan["template"].split("/")
        choices, values = iter(plan["choices"]), iter(plan["values"])
        text = ""
        spans: list[Span] = []
        for kind, part in self._joins[lang][int(k)]:
            if kind == _LITERAL:
                piece = part
                if piece.startswith(".") and text.endswith("."):
                    piece = piece[1:]  # "... Hering MBA." ends the sentence: no second period
            elif kind == _CHOICE:
                piece = part[next(choices)]
            else:
                piece = next(values)  # never starts or ends with a space
                if part is not None:  # the slot's entity
                    spans.append(Span(len(text), len(text) + len(piece), part, piece))
            # One space between words whatever the alternatives chose: no double spaces,
            # none at the start (values never start with a space: their offsets stay exact).
            if piece.startswith(" ") and (not text or text.endswith(" ")):
                piece = piece.lstrip(" ")
            text += piece
        text = text.rstrip(" ")  # values never end with a space: no span reaches here
        classes = {self.config.classes.task: plan["class"]} if self.config.classes else {}
        attributes = {"locale": plan["locale"], **plan["attributes"]}
        return TextSample(text, spans, classes, attributes, plan)

    def _joins_of(self, template: tuple[Part, ...]) -> list[tuple[int, Any]]:
        """(kind, literal text | options | slot's entity) per part."""
        return [
            (_LITERAL, p)
            if isinstance(p, str)
            else (_CHOICE, p.options)
            if isinstance(p, Choice)
            else (_SLOT, self.entities[p.name])
            for p in template
        ]

    def _entity(self, slot: str) -> str | None:
        spec = self.config.slots.get(slot)
        return spec.entity if spec is not None else BUILTIN_SLOTS[slot][0]

    def _uses(self, slot: str) -> bool:
        return any(
            isinstance(p, Slot) and p.name == slot
            for parts in self.templates.values()
            for template in parts
            for p in template
        )
