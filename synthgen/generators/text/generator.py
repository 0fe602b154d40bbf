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
# A template with its alternatives chosen: the text before the first slot, then per slot
# (entity or None, the text after it, whether a value ending in "." drops its first char).
_Skeleton = tuple[str, tuple[tuple[str | None, str, bool], ...]]
_MAX_SKELETONS = 100_000  # (template, alternatives) combinations kept: ~20 MB at most
# What a plan draws: (uniform position, option count) per alternative, and (uniform
# position, value pool) per slot.
_Steps = tuple[list[tuple[int, int]], list[tuple[int, list[str]]]]


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
    fork_workers: ClassVar[bool] = True  # pure Python and pools of strings: see base.py

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
        self.pools = ValuePools(config.pool_size, config.slots, config.today)
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
        self._languages = {locale: language(locale) for locale in config.locales}
        self._names = {
            lang: [f"{lang}/{k}" for k in range(len(t))] for lang, t in self.templates.items()
        }
        self._steps: dict[tuple[str, str | None, int], _Steps] = {}
        self._skeletons: dict[tuple[str, tuple[int, ...]], _Skeleton] = {}

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
        attributes = {
            name: c.draw(u[position], seed, index)
            for position, (name, c) in enumerate(self.attributes.items(), 3)
        }
        lang = self._languages[locale]
        pool = self.by_class[(lang, label)]
        k = pool[int(u[2] * len(pool))]
        steps = self._steps.get((locale, attributes.get("gender"), k))
        if steps is None:
            steps = self._make_steps(locale, attributes.get("gender"), k)
        choice_steps, value_steps = steps
        choices = [int(u[position] * count) for position, count in choice_steps]
        values = [options[int(u[position] * len(options))] for position, options in value_steps]
        template = self._names[lang][k]
        if label is None:
            return {
                "locale": locale,
                "template": template,
                "attributes": attributes,
                "choices": choices,
                "values": values,
            }
        return {
            "locale": locale,
            "template": template,
            "class": label,
            "attributes": attributes,
            "choices": choices,
            "values": values,
        }

    # ------------------------------------------------------------------ render

    def render(self, plan: dict[str, Any]) -> TextSample:  # type: ignore[override]
        head, slots = self._skeleton(plan["template"], tuple(plan["choices"]))
        text = head
        spans: list[Span] = []
        for (entity, after, dot), value in zip(slots, plan["values"], strict=True):
            if entity is not None:
                spans.append(Span(len(text), len(text) + len(value), entity, value))
            # "... Hering MBA." ends the sentence: no second period
            text += value + (after[1:] if dot and value.endswith(".") else after)
        classes = {self.config.classes.task: plan["class"]} if self.config.classes else {}
        attributes = {"locale": plan["locale"], **plan["attributes"]}
        return TextSample(text, spans, classes, attributes, plan)

    def _skeleton(self, template: str, choices: tuple[int, ...]) -> _Skeleton:
        """The text of a template with these alternatives chosen, made once: the text
        before the first slot, then per slot its entity, the text up to the next slot, and
        whether that text starts with a period that a value ending in one drops."""
        key = (template, choices)
        skeleton = self._skeletons.get(key)
        if skeleton is None:
            skeleton = self._make_skeleton(template, choices)
            if len(self._skeletons) < _MAX_SKELETONS:
                self._skeletons[key] = skeleton
        return skeleton

    def _make_skeleton(self, template: str, choices: tuple[int, ...]) -> _Skeleton:
        """Joins the parts as ``render`` did part by part; a value is never empty and
        never starts or ends with a space, so only its last character (a period or not)
        changes how the text after it joins."""
        lang, k = template.split("/")
        chosen = iter(choices)
        texts, entities, dots = [""], [], []
        for kind, part in self._joins[lang][int(k)]:
            text = texts[-1]
            if kind == _SLOT:
                texts.append("")
                entities.append(part)
                dots.append(False)
                continue
            piece = part if kind == _LITERAL else part[next(chosen)]
            after_value = len(texts) > 1 and not text
            if kind == _LITERAL and piece.startswith("."):
                if text.endswith("."):
                    piece = piece[1:]
                elif after_value:
                    dots[-1] = True  # the value before decides
            # One space between words whatever the alternatives chose: no double spaces,
            # none at the start (values never start with a space: their offsets stay exact).
            if piece.startswith(" ") and not after_value and (not text or text.endswith(" ")):
                piece = piece.lstrip(" ")
            texts[-1] = text + piece
        texts[-1] = texts[-1].rstrip(" ")  # values never end with a space
        return texts[0], tuple(zip(entities, texts[1:], dots, strict=True))

    def _make_steps(self, locale: str, gender: str | None, k: int) -> _Steps:
        """What ``_plan`` draws for template ``k`` in ``locale``: (position of the uniform,
        number of options) per alternative, (position, value pool) per slot."""
        first = 3 + len(self.attributes)  # u is as wide as the longest template needs
        choice_steps, value_steps = [], []
        for position, options_count, slot in self._draws[language(locale)][k]:
            if slot is None:
                choice_steps.append((first + position, options_count))
            else:
                value_steps.append((first + position, self.pools.pool(slot, locale, gender)))
        steps = (choice_steps, value_steps)
        self._steps[(locale, gender, k)] = steps
        return steps

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
