"""The text-line generator's recipe section: where texts come from, fonts, geometry, looks.

A text source is a document field (Faker provider, pattern, choices, numbers printed in
the locale's format) or a corpus file; see :class:`TextSource`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from synthgen.config import (
    ExistingDir,
    ExistingFile,
    FloatRange,
    IntRange,
    Probability,
    StrictModel,
    within,
)
from synthgen.generators.base import GeneratorConfig
from synthgen.generators.document.config import RGB, FieldSpec
from synthgen.generators.document.degrade import DegradeStep
from synthgen.generators.fakers import today_field
from synthgen.generators.locales import check_locales, locales_as_weights

Weight = Annotated[float, Field(ge=0)]


class TextSource(FieldSpec):
    """One kind of line: exactly one of faker, pattern, choices, integer, money, number
    (as in document templates) or corpus."""

    name: str | None = Field(
        None, description="what the text is (recorded per line); default: the source"
    )
    weight: Weight = 1.0
    corpus: ExistingFile | None = Field(
        None, description="UTF-8 text file, one text per line (blank lines are skipped)"
    )
    words: IntRange | None = Field(
        None, description="corpus: a run of this many consecutive words of a line"
    )

    SOURCES: ClassVar[tuple[str, ...]] = (
        "faker", "pattern", "choices", "integer", "money", "number", "corpus"
    )  # fmt: skip

    @model_validator(mode="before")
    @classmethod
    def _no_derive(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("derive") is not None:  # None: a dump
            raise ValueError("derive is for document fields; a text line has no other fields")
        return data

    @model_validator(mode="after")
    def _words_of_a_corpus(self) -> TextSource:
        if self.words is not None and self.corpus is None:
            raise ValueError("words applies to a corpus")
        if self.words is not None and self.words.min < 1:
            raise ValueError("words must be at least 1")
        return self

    def label(self) -> str:
        if self.name:
            return self.name
        if self.faker:
            return self.faker
        return "corpus" if self.corpus is not None else self.value_type()


class Background(StrictModel):
    """Behind the text: a colour, or a crop of an image; plus paper grain."""

    colours: list[RGB] = Field(
        default_factory=lambda: [(255, 255, 255), (246, 242, 230), (228, 230, 232)],
        min_length=1,
    )
    images: ExistingDir | None = Field(None, description="folder of background images")
    image_p: Probability = Field(0.5, description="chance of an image (with images set)")
    grain: Annotated[FloatRange, within(ge=0, le=64)] = Field(
        default_factory=lambda: FloatRange(min=0, max=6),
        description="std of the paper's pixel noise, in grey levels",
    )


class TextLinesConfig(GeneratorConfig):
    """Cropped images of one line of text, for OCR: the exact string, every word's and
    every character's (grapheme's) box from the glyph pixels."""

    kind: Literal["text_lines"] = "text_lines"
    locales: dict[str, Weight] = Field(
        default_factory=lambda: {"en_US": 1.0}, description="Faker locales and their weights"
    )
    today: dt.date = today_field()
    texts: list[TextSource] = Field(min_length=1, description="text sources, by weight")
    max_chars: int = Field(
        48, ge=1, le=1000, description="longer texts are cut at a space before this"
    )
    fonts: list[str] = Field(
        default_factory=lambda: ["DejaVuSans", "DejaVuSerif", "DejaVuSansMono"],
        min_length=1,
        description="font names or files; a line uses one that has all its characters",
    )
    size_px: Annotated[IntRange, within(ge=6, le=400)] = Field(
        default_factory=lambda: IntRange(min=20, max=40), description="font size (em) in px"
    )
    tracking: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        default_factory=lambda: FloatRange(min=0, max=0.04),
        description="extra space between characters, as a fraction of the font size",
    )
    skew_degrees: Annotated[FloatRange, within(ge=-45, le=45)] = Field(
        default_factory=lambda: FloatRange(min=0, max=0),
        description="rotation of the line, counter-clockwise",
    )
    curve: Annotated[FloatRange, within(ge=-2, le=2)] = Field(
        default_factory=lambda: FloatRange(min=0, max=0),
        description="sag of the baseline arc at its middle, as a fraction of the font size "
        "(positive: the middle rises); characters turn with the arc",
    )
    padding_px: Annotated[IntRange, within(ge=0, le=200)] = Field(
        default_factory=lambda: IntRange(min=2, max=8), description="margin, each side"
    )
    ink: list[RGB] = Field(
        default_factory=lambda: [(0, 0, 0), (30, 30, 30), (20, 30, 80), (90, 20, 20)],
        min_length=1,
    )
    background: Background = Field(default_factory=Background)
    degrade: list[DegradeStep] = Field(default_factory=list, description="scan effects")

    _locales_as_weights = model_validator(mode="before")(locales_as_weights)
    _known_locales = field_validator("locales")(check_locales)

    @model_validator(mode="after")
    def _consistent(self) -> TextLinesConfig:
        if not any(source.weight > 0 for source in self.texts):
            raise ValueError("texts: at least one source needs a weight above 0")
        return self
