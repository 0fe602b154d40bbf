"""The document generator's recipe section: page, locales, fonts, fields and blocks.

Templates are data, never code: a derived field is an arithmetic expression over other
fields, parsed and evaluated by :mod:`.fields` with a whitelist.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from synthgen.config import FloatRange, IntRange, StrictModel, within
from synthgen.generators.base import GeneratorConfig
from synthgen.generators.document.degrade import DegradeStep
from synthgen.generators.fakers import today_field
from synthgen.generators.locales import check_locales, locales_as_weights

Weight = Annotated[float, Field(ge=0)]
RGB = tuple[
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
]
# A literal, or one text per language: {en: Invoice, de: Rechnung, fr: Facture}.
Localized = str | dict[str, str]
ValueType = Literal["text", "money", "integer", "number", "percent", "date"]

PAGE_SIZES_MM = {
    "A4": (210.0, 297.0),
    "A5": (148.0, 210.0),
    "letter": (215.9, 279.4),
    "id1": (85.6, 53.98),  # ISO/IEC 7810 ID-1: bank and ID cards
    "receipt": (80.0, "auto"),
}


class FieldSpec(StrictModel):
    """Where one field's value comes from: exactly one of faker, pattern, choices, integer,
    money, number or derive. ``type`` says how the value is printed (money and dates in the
    locale's format)."""

    faker: str | None = Field(None, description="a Faker method, e.g. company, address")
    args: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="keyword arguments of the Faker method"
    )
    pattern: str | None = Field(None, description="# a digit, ? a letter: INV-######")
    choices: list[str | int | float] | None = Field(None, min_length=1)
    integer: IntRange | None = None
    money: Annotated[FloatRange, within(ge=0)] | None = None
    number: FloatRange | None = None
    derive: str | None = Field(
        None, description="arithmetic over other fields: quantity * unit_price, sum(items.amount)"
    )
    type: ValueType | None = Field(None, description="printed as; default from the source")
    decimals: int = Field(2, ge=0, le=6, description="for number and derived number fields")
    upper: bool = Field(False, description="print in capitals")

    SOURCES: ClassVar[tuple[str, ...]] = (
        "faker", "pattern", "choices", "integer", "money", "number", "derive"
    )  # fmt: skip

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        sources = [n for n in self.SOURCES if getattr(self, n, None) is not None]
        if len(sources) != 1:
            raise ValueError(
                f"give exactly one of {', '.join(self.SOURCES)}"
                + (f" (got {', '.join(sources)})" if sources else "")
            )
        return self

    def value_type(self) -> ValueType:
        if self.type is not None:
            return self.type
        if self.money is not None or self.derive is not None:
            return "money"
        if self.integer is not None:
            return "integer"
        if self.number is not None:
            return "number"
        return "text"


class RowsSpec(StrictModel):
    """Repeated rows (invoice line items): a row count and the fields of each row."""

    rows: IntRange = Field(description="how many rows, [min, max]")
    fields: dict[str, FieldSpec] = Field(min_length=1)


class PageConfig(StrictModel):
    size: Literal["A4", "A5", "letter", "id1", "receipt"] | None = "A4"
    width_mm: float | None = Field(None, gt=10, le=1000)
    height_mm: float | Literal["auto"] | None = Field(
        None, description="a height in mm, or auto: as tall as the content (receipts)"
    )
    dpi: int = Field(150, ge=50, le=600)
    margin_mm: Annotated[FloatRange, within(ge=0)] = Field(
        default_factory=lambda: FloatRange(min=12, max=20)
    )
    paper: list[RGB] = Field(
        default_factory=lambda: [(255, 255, 255), (250, 248, 240), (245, 245, 245)],
        min_length=1,
        description="paper colours, one picked per page",
    )
    ink: list[RGB] = Field(
        default_factory=lambda: [(0, 0, 0), (30, 30, 30), (20, 30, 80)],
        min_length=1,
        description="text colours, one picked per page",
    )

    def size_mm(self) -> tuple[float, float | Literal["auto"]]:
        base: tuple[Any, Any] = PAGE_SIZES_MM[self.size] if self.size else (None, None)
        width = self.width_mm or base[0]
        height = self.height_mm or base[1]
        if width is None or height is None:
            raise ValueError("give page.size or both page.width_mm and page.height_mm")
        return float(width), height if height == "auto" else float(height)


class Jitter(StrictModel):
    """Layout variety per page: block gaps, font sizes and horizontal offsets."""

    gap: Annotated[FloatRange, within(ge=0)] = Field(
        default_factory=lambda: FloatRange(min=0.7, max=1.4),
        description="factor on each block's gap",
    )
    size: Annotated[FloatRange, within(gt=0)] = Field(
        default_factory=lambda: FloatRange(min=0.92, max=1.08),
        description="factor on the page's font sizes",
    )
    shift_mm: Annotated[float, Field(ge=0)] = Field(2.0, description="block x offset, +-")


class _Block(StrictModel):
    x: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        default_factory=lambda: FloatRange(min=0, max=1),
        description="[left, right] as fractions of the text width",
    )
    beside: bool = Field(False, description="start level with the previous block's top")
    gap_mm: Annotated[float, Field(ge=0)] = Field(4.0, description="space above the block")
    font: str = Field("regular", description="a font role from fonts")
    size_pt: Annotated[float, Field(gt=2, le=200)] = 10.0
    align: Literal["left", "right", "center"] = "left"


class TitleBlock(_Block):
    """A heading; {field} puts a field's value in (a store's name on a receipt)."""

    kind: Literal["title"]
    text: Localized
    font: str = "bold"
    size_pt: Annotated[float, Field(gt=2, le=200)] = 18.0


class TextBlock(_Block):
    """Lines of text; {field} puts a field's value in (its words become a labeled value)."""

    kind: Literal["text"]
    lines: list[Localized] = Field(min_length=1)
    role: Literal["text", "title"] = Field("text", description="the layout class")


class KeyValue(StrictModel):
    key: Localized
    value: str = Field(description="a field name")


class FieldsBlock(_Block):
    """Key: value pairs, one per line (inline) or the value under its key (stacked)."""

    kind: Literal["fields"]
    items: list[KeyValue] = Field(min_length=1)
    style: Literal["inline", "stacked"] = "inline"
    key_font: str = "bold"
    underline: bool = Field(False, description="rule under each value (forms)")


class Column(StrictModel):
    header: Localized
    value: str = Field(description="a field of the rows")
    width: Annotated[float, Field(gt=0)] = Field(1.0, description="relative column width")
    align: Literal["left", "right", "center"] = "left"


class TableBlock(_Block):
    kind: Literal["table"]
    rows: str = Field(description="a rows field (see RowsSpec)")
    columns: list[Column] = Field(min_length=1)
    header_font: str = "bold"
    rules: bool = Field(True, description="horizontal rules under the header and the table")


class CheckboxBlock(_Block):
    """A question with check boxes; the field (a choices field) says which one is ticked."""

    kind: Literal["checkboxes"]
    key: Localized
    field: str
    options: dict[str, Localized] = Field(min_length=1, description="choice -> printed label")


class FigureBlock(_Block):
    """A graphic: logo, photo (ID cards), signature or stamp. ``over_text`` places it over
    the content at a random spot instead of in the flow (stamps over text)."""

    kind: Literal["figure"]
    figure: Literal["logo", "photo", "signature", "stamp"]
    width_mm: Annotated[float, Field(gt=0)] = 30.0
    height_mm: Annotated[float, Field(gt=0)] = 15.0
    over_text: bool = False
    p: Annotated[float, Field(ge=0, le=1)] = Field(1.0, description="probability it appears")


class BarcodeBlock(_Block):
    """A barcode or 2D code of a text with {field}s (an invoice number, a payment line),
    drawn at a whole number of pixels per module with its quiet zone kept blank and no
    human-readable line. Labeled as a ``barcode`` region whose attributes hold the
    symbology and the decoded text."""

    kind: Literal["barcode"]
    symbology: Literal["code128", "ean13", "qr", "datamatrix", "pdf417"] = "code128"
    data: Localized = Field(description="the encoded text; {field} puts a field's value in")
    module_mm: Annotated[float, Field(gt=0, le=5)] = Field(
        0.33, description="module (narrowest bar, or cell) width; rounded to whole pixels"
    )
    height_mm: Annotated[float, Field(gt=0, le=200)] = Field(
        12.0, description="bar height of a linear code (code128, ean13)"
    )
    p: Annotated[float, Field(ge=0, le=1)] = Field(1.0, description="probability it appears")


class RuleBlock(_Block):
    kind: Literal["rule"]
    thickness_px: int = Field(2, ge=1, le=20)


Block = Annotated[
    TitleBlock
    | TextBlock
    | FieldsBlock
    | TableBlock
    | CheckboxBlock
    | FigureBlock
    | BarcodeBlock
    | RuleBlock,
    Field(discriminator="kind"),
]


class DocumentConfig(GeneratorConfig):
    """Document pages from a declarative template: every word, line, field and block is
    labeled from the rendered pixels."""

    kind: Literal["document"] = "document"
    page: PageConfig = Field(default_factory=PageConfig)
    locales: dict[str, Weight] = Field(
        default_factory=lambda: {"en_US": 1.0},
        description="Faker locales and their weights; texts are picked by the language",
    )
    today: dt.date = today_field()
    fonts: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "regular": ["DejaVuSans", "DejaVuSerif"],
            "bold": ["DejaVuSans-Bold", "DejaVuSerif-Bold"],
            "mono": ["DejaVuSansMono", "DejaVuSansMono"],
        },
        description="font roles -> font names or files; a page uses entry i of every role",
    )
    fields: dict[str, FieldSpec | RowsSpec] = Field(default_factory=dict)
    blocks: list[Block] = Field(min_length=1)
    jitter: Jitter = Field(default_factory=Jitter)
    degrade: list[DegradeStep] = Field(default_factory=list, description="scan effects")

    _locales_as_weights = model_validator(mode="before")(locales_as_weights)
    _known_locales = field_validator("locales")(check_locales)

    @model_validator(mode="after")
    def _consistent(self) -> DocumentConfig:
        from synthgen.generators.document.fields import check_fields

        self.page.size_mm()
        for role, names in self.fonts.items():
            if not names:
                raise ValueError(f"fonts.{role}: give at least one font")
        languages = sorted({locale.split("_")[0] for locale in self.locales})
        for k, block in enumerate(self.blocks):
            _check_block(self, block, f"blocks[{k}]", languages)
        check_fields(self.fields)
        return self


def _check_block(config: DocumentConfig, block: Any, where: str, languages: list[str]) -> None:
    roles = [block.font] + [
        getattr(block, a) for a in ("key_font", "header_font") if hasattr(block, a)
    ]
    for role in roles:
        if role not in config.fonts:
            raise ValueError(
                f"{where}: font role '{role}' is not in fonts ({', '.join(config.fonts)})"
            )
    for text in _localized(block):
        if isinstance(text, dict):
            missing = [lang for lang in languages if lang not in text]
            if missing:
                raise ValueError(f"{where}: no text for the language(s) {missing} of the locales")
    scalars = {n for n, s in config.fields.items() if isinstance(s, FieldSpec)}
    if isinstance(block, BarcodeBlock) and isinstance(block.data, dict):
        missing = [lang for lang in languages if lang not in block.data]
        if missing:
            raise ValueError(f"{where}: no data for the language(s) {missing} of the locales")
    if isinstance(block, FieldsBlock | CheckboxBlock | TextBlock | TitleBlock | BarcodeBlock):
        names = [block.field] if isinstance(block, CheckboxBlock) else []
        if isinstance(block, FieldsBlock):
            names = [item.value for item in block.items]
        if isinstance(block, TextBlock | TitleBlock | BarcodeBlock):
            from synthgen.generators.document.fields import placeholders

            names = [n for line in filled_texts(block) for n in placeholders(_texts(line))]
        for name in names:
            if name not in scalars:
                raise ValueError(f"{where}: '{name}' is not a field (fields: {', '.join(scalars)})")
    if isinstance(block, CheckboxBlock):
        spec = config.fields[block.field]
        assert isinstance(spec, FieldSpec)
        if spec.choices is None or {str(c) for c in spec.choices} - set(block.options):
            raise ValueError(f"{where}: field '{block.field}' needs choices that are all options")
    if isinstance(block, TableBlock):
        rows = config.fields.get(block.rows)
        if not isinstance(rows, RowsSpec):
            raise ValueError(f"{where}: rows '{block.rows}' is not a rows field")
        for col in block.columns:
            if col.value not in rows.fields:
                raise ValueError(f"{where}: '{col.value}' is not a field of {block.rows}")


def filled_texts(block: Any) -> list[Localized]:
    """The texts of a block whose {field}s are filled in per page."""
    if isinstance(block, TextBlock):
        return list(block.lines)
    if isinstance(block, TitleBlock):
        return [block.text]
    if isinstance(block, BarcodeBlock):
        return [block.data]
    return []


def _localized(block: Any) -> list[Localized]:
    texts: list[Localized] = []
    for attr in ("text", "key"):
        if isinstance(getattr(block, attr, None), str | dict):
            texts.append(getattr(block, attr))
    texts += getattr(block, "lines", [])
    texts += [item.key for item in getattr(block, "items", [])]
    texts += [col.header for col in getattr(block, "columns", [])]
    texts += list(getattr(block, "options", {}).values())
    return texts


def _texts(text: Localized) -> list[str]:
    return list(text.values()) if isinstance(text, dict) else [text]


def pick(text: Localized, language: str) -> str:
    """The text for a page's language."""
    return text if isinstance(text, str) else text[language]


def block_texts(block: Any, language: str) -> list[str]:
    """A block's literal texts in a language, placeholders left out."""
    from synthgen.generators.document.fields import split_placeholders

    return [
        part
        for text in _localized(block)
        for part, is_field in split_placeholders(pick(text, language))
        if not is_field
    ]
