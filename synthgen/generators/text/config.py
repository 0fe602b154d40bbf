"""The text generator's recipe section: locales, templates, slots, classes and attributes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from synthgen.config import StrictModel
from synthgen.generators.balance import BalanceMode, quota_block
from synthgen.generators.base import GeneratorConfig
from synthgen.generators.fakers import today_field
from synthgen.generators.locales import check_locales, locales_as_weights
from synthgen.generators.text.template import TemplateError, parse, slots
from synthgen.generators.text.values import BUILTIN_SLOTS, language

Weight = Annotated[float, Field(ge=0)]


class SlotSpec(StrictModel):
    """A custom slot: a list of choices or a Faker provider, optionally an entity type."""

    choices: list[str] | None = Field(None, min_length=1)
    provider: str | None = Field(None, description="a Faker method name, e.g. job")
    entity: str | None = Field(None, description="entity type; none: plain text, no span")

    @model_validator(mode="after")
    def _one_source(self) -> SlotSpec:
        if (self.choices is None) == (self.provider is None):
            raise ValueError("give either choices or provider")
        if self.choices is not None and not all(c.strip() for c in self.choices):
            raise ValueError("choices may not be empty strings")
        return self


class TemplateSpec(StrictModel):
    text: str = Field(min_length=1)
    label: str | None = Field(None, description="the sample's class (see classes.task)")

    @field_validator("text")
    @classmethod
    def _parses(cls, text: str) -> str:
        try:
            parse(text)
        except TemplateError as err:
            raise ValueError(str(err)) from None
        return text


class ClassesConfig(StrictModel):
    """The sample-level label that templates carry (an intent, a sentiment...)."""

    task: str = Field("label", min_length=1, description="what a template's label means")
    balance: Literal["uniform"] | dict[str, Weight] = "uniform"


class TextConfig(GeneratorConfig):
    """Sentences from templates with slots: exact entity spans, classes and attributes."""

    kind: Literal["text"] = "text"
    locales: dict[str, Weight] = Field(
        default_factory=lambda: {"en_US": 1.0},
        description="Faker locales and their weights; a locale uses its language's templates",
    )
    today: dt.date = today_field()
    mode: BalanceMode = Field(
        "sample", description="sample: random proportions; quota: exact in every block"
    )
    classes: ClassesConfig | None = None
    attributes: dict[str, dict[str, Weight]] = Field(
        default_factory=dict,
        description="recorded per sample; 'gender' (female/male) also picks person names",
    )
    slots: dict[str, SlotSpec] = Field(default_factory=dict)
    templates: dict[str, list[TemplateSpec]] = Field(
        description="templates per language (en, de, fr...)"
    )
    pool_size: int = Field(1000, ge=1, le=1_000_000, description="values per slot and locale")

    _locales_as_weights = model_validator(mode="before")(locales_as_weights)
    _known_locales = field_validator("locales")(check_locales)

    @model_validator(mode="after")
    def _consistent(self) -> TextConfig:
        for locale in self.locales:
            if not self.templates.get(language(locale)):
                raise ValueError(
                    f"locale {locale} needs templates under templates.{language(locale)}"
                )
        known = set(BUILTIN_SLOTS) | set(self.slots)
        for lang, specs in self.templates.items():
            for k, spec in enumerate(specs):
                where = f"templates.{lang}[{k}]"
                for name in slots(parse(spec.text)):
                    if name not in known:
                        raise ValueError(
                            f"{where}: unknown slot {{{name}}}; built-in slots are "
                            f"{', '.join(sorted(BUILTIN_SLOTS))}; define others under slots"
                        )
                if (spec.label is None) != (self.classes is None):
                    need = "needs a label (classes is set)" if self.classes else "has a label"
                    raise ValueError(f"{where} {need}; set both classes and labels, or neither")
        if self.classes is not None:
            self._check_classes(self.classes)
        for name, weights in self.attributes.items():
            if not any(w > 0 for w in weights.values()):
                raise ValueError(f"attributes.{name}: at least one weight must be above 0")
        if self.mode == "quota":
            for weights in (self.locales, *self.attributes.values(), self.class_weights()):
                quota_block(weights)
        return self

    def _check_classes(self, classes: ClassesConfig) -> None:
        used = {lang for lang in map(language, self.locales)}
        labels = {s.label for specs in self.templates.values() for s in specs}
        if isinstance(classes.balance, dict):
            unknown = sorted(set(classes.balance) - labels)
            if unknown:
                raise ValueError(f"classes.balance names {unknown}, which no template has")
            if not any(w > 0 for w in classes.balance.values()):
                raise ValueError("classes.balance: at least one weight must be above 0")
        for lang in sorted(used):
            have = {s.label for s in self.templates[lang]}
            missing = sorted(c for c, w in self.class_weights().items() if w > 0 and c not in have)
            if missing:
                raise ValueError(f"templates.{lang} has no template for the classes {missing}")

    def class_weights(self) -> dict[str, float]:
        """Weights of the sample-level classes (empty without classes)."""
        if self.classes is None:
            return {}
        if isinstance(self.classes.balance, dict):
            return dict(self.classes.balance)
        labels = sorted({s.label for specs in self.templates.values() for s in specs if s.label})
        return dict.fromkeys(labels, 1.0)
