"""The document generator: plan a page's values and jitter, lay it out, draw, degrade.

The plan holds everything random (locale, printed field values, fonts, gaps, figure seeds,
degradation parameters), so a page is rebuilt from its plan alone. Labels are derived
from the final id map by :mod:`synthgen.document_labels`.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from synthgen.errors import AssetError
from synthgen.generators.base import Generator
from synthgen.generators.document import barcodes, fonts
from synthgen.generators.document.config import (
    BarcodeBlock,
    CheckboxBlock,
    DocumentConfig,
    FieldsBlock,
    FieldSpec,
    FigureBlock,
    RowsSpec,
    TableBlock,
    TextBlock,
    TitleBlock,
    block_texts,
    pick,
)
from synthgen.generators.document.degrade import (
    apply_degradations,
    follow_instances,
    plan_degradations,
)
from synthgen.generators.document.fields import (
    LOCALE_FORMATS,
    FieldError,
    evaluation_order,
    faker_value,
    fill_placeholders,
    placeholders,
    sample_fields,
)
from synthgen.generators.document.layout import Layout, PageBuilder
from synthgen.generators.document.render import render_layout
from synthgen.generators.fakers import Fakers
from synthgen.sample import Category, Document, Sample, Word

# Layout classes, in a fixed order so category ids agree across templates (a dataset of
# invoices merges with one of receipts).
REGION_KINDS = (
    "title",
    "text",
    "key",
    "value",
    "table",
    "figure",
    "checkbox",
    "checkbox_checked",
    "barcode",  # new kinds go last: category ids stay
)


class DocumentGenerator(Generator[DocumentConfig]):
    """Pages from a template: invoices, receipts, forms, ID cards, letters."""

    config_type = DocumentConfig
    provides: ClassVar[frozenset[str]] = frozenset({"image", "document"})
    chunk: ClassVar[int] = 2

    def __init__(self, config: DocumentConfig, base_dir: Path) -> None:
        super().__init__(config, base_dir)
        self.order = evaluation_order(config.fields)
        self._faker = Fakers(config.today)  # on a stopped clock: see fakers.py
        self.locales = list(config.locales)
        weights = np.array(list(config.locales.values()), dtype=np.float64)
        self.locale_p = weights / weights.sum()
        self.families = max(len(names) for names in config.fonts.values())

    def categories(self) -> list[Category]:
        return [Category(i, kind, "layout") for i, kind in enumerate(REGION_KINDS, start=1)]

    def check(self) -> None:
        """Before any page: every font resolves and can draw the template's own texts,
        every Faker field works in every locale, money and dates have a known format."""
        for names in self.config.fonts.values():
            for name in names:
                fonts.charset(fonts.resolve_font(name, self.base_dir))
        typed = [s for s in self._scalar_specs() if s.value_type() in ("money", "date")]
        for locale in self.locales:
            if typed and locale not in LOCALE_FORMATS:
                raise AssetError(
                    f"locale {locale}: no money and date format known; use one of "
                    f"{', '.join(LOCALE_FORMATS)}"
                )
            self._check_faker(locale)
            self._check_barcodes(locale)
        for k, block in enumerate(self.config.blocks):
            self._check_glyphs(block, f"blocks[{k}]")

    def _check_barcodes(self, locale: str) -> None:
        """Each code encodes one page's values (an EAN-13 of a field that is not a number
        fails here, before any page is made)."""
        codes = [(k, b) for k, b in enumerate(self.config.blocks) if isinstance(b, BarcodeBlock)]
        if not codes:
            return
        faker = self._faker(locale)
        faker.seed_instance(0)
        with self._faker.clock():
            values = sample_fields(
                self.config.fields, self.order, faker, locale, rng=np.random.default_rng(0)
            )
        for k, block in codes:
            text = fill_placeholders(pick(block.data, locale.split("_")[0]), values.printed)
            barcodes.encode(block.symbology, text, f"blocks[{k}] (locale {locale})")

    def _check_faker(self, locale: str) -> None:
        faker = self._faker(locale)
        for name, spec in self._named_specs():
            if spec.faker is not None:
                try:
                    with self._faker.clock():
                        faker_value(faker, spec.faker, spec.args, name)
                except FieldError as err:
                    raise AssetError(f"{err} (locale {locale})") from None

    def _check_glyphs(self, block: Any, where: str) -> None:
        roles = {block.font} | {
            getattr(block, a) for a in ("key_font", "header_font") if hasattr(block, a)
        }
        for lang in {locale.split("_")[0] for locale in self.locales}:
            for text in block_texts(block, lang):
                for role in roles:
                    paths = [fonts.resolve_font(n, self.base_dir) for n in self.config.fonts[role]]
                    if all(fonts.missing_chars(text, p) for p in paths):
                        missing = "".join(sorted(set(fonts.missing_chars(text, paths[0]))))
                        raise AssetError(
                            f"{where}: no font of role '{role}' can draw {missing!r} in "
                            f"{text!r}; add a font that covers it to fonts.{role}"
                        )

    def fingerprint(self) -> dict[str, Any]:
        files = sorted(
            {
                fonts.resolve_font(n, self.base_dir)
                for names in self.config.fonts.values()
                for n in names
            }
        )
        return {
            # Faker's values for a seed change between releases; Pillow's and the fonts'
            # glyphs change the pixels.
            "faker": version("faker"),
            "pillow": version("pillow"),
            "fonts": {str(p): p.stat().st_size for p in files},
        }

    def plan(self, rng: np.random.Generator) -> dict[str, Any]:
        config = self.config
        locale = self.locales[int(rng.choice(len(self.locales), p=self.locale_p))]
        faker = self._faker(locale)
        faker.seed_instance(int(rng.integers(2**63)))
        with self._faker.clock():
            values = sample_fields(config.fields, self.order, faker, locale, rng)
        page = config.page
        return {
            "locale": locale,
            "font_family": int(rng.integers(self.families)),
            "size": config.jitter.size.sample(rng),
            "margin_mm": page.margin_mm.sample(rng),
            "paper": [int(v) for v in page.paper[int(rng.integers(len(page.paper)))]],
            "ink": [int(v) for v in page.ink[int(rng.integers(len(page.ink)))]],
            "fields": values.printed,
            "values": values.numbers,
            "blocks": self._blocks_jitter(rng),
            "degrade": plan_degradations(config.degrade, rng),
        }

    def _blocks_jitter(self, rng: np.random.Generator) -> list[dict[str, Any] | None]:
        """Per block: its gap factor and x shift (one shift per left edge, so blocks that
        start at one edge stay aligned), and whether and where a figure appears."""
        shifts: dict[float, float] = {}
        out = []
        for block in self.config.blocks:
            column = block.x.min
            if column not in shifts:
                limit = self.config.jitter.shift_mm
                shifts[column] = float(rng.uniform(-limit, limit))
            out.append(self._block_jitter(block, shifts[column], rng))
        return out

    def _block_jitter(
        self, block: Any, shift_mm: float, rng: np.random.Generator
    ) -> dict[str, Any] | None:
        out: dict[str, Any] = {"gap": self.config.jitter.gap.sample(rng), "shift_mm": shift_mm}
        if isinstance(block, BarcodeBlock) and rng.random() >= block.p:
            return None
        if isinstance(block, FigureBlock):
            if rng.random() >= block.p:
                return None
            out["seed"] = int(rng.integers(2**31))
            out["at"] = [float(rng.random()), float(rng.random())]
        return out

    def render(self, plan: dict[str, Any]) -> Sample:
        layout = PageBuilder(self.config, plan, self.base_dir).build()
        paper, ink = tuple(plan["paper"]), tuple(plan["ink"])
        image, id_map, instances = render_layout(layout, paper, ink)
        warp = None
        if plan["degrade"]:
            image, id_map, moved = apply_degradations(image, id_map, plan["degrade"])
            if not np.allclose(moved, np.eye(3)):
                instances, warp = follow_instances(instances, id_map, moved), moved
        document = Document(
            words=[Word(w.id, w.text, w.line) for w in layout.words],
            lines=layout.lines,
            entities=layout.entities,
            links=layout.links,
            regions=layout.regions,
            fields=self._ground_truth(plan, layout),
            warp=warp,
            blocks=layout.blocks,
            language=plan["locale"].split("_")[0],
        )
        return Sample(image, id_map, instances, plan=plan, document=document)

    def _ground_truth(self, plan: dict[str, Any], layout: Layout) -> dict[str, Any]:
        """The fields printed on the page, as printed (Donut's gt_parse): a field the page
        does not show (a tax rate used only to compute the tax) is left out."""
        language = plan["locale"].split("_")[0]
        printed = plan["fields"]
        shown = {e.field for e in layout.entities if e.field}
        truth: dict[str, Any] = {}
        for block in self.config.blocks:
            if isinstance(block, FieldsBlock):
                for item in block.items:
                    if item.value in shown:
                        truth[item.value] = _one_line(printed[item.value])
            elif isinstance(block, TextBlock | TitleBlock):
                lines = block.lines if isinstance(block, TextBlock) else [block.text]
                for name in placeholders([pick(line, language) for line in lines]):
                    if name in shown:
                        truth[name] = _one_line(printed[name])
            elif isinstance(block, CheckboxBlock):
                chosen = str(plan["values"][block.field])
                truth[block.field] = pick(block.options[chosen], language)
            elif isinstance(block, TableBlock):
                columns = [c.value for c in block.columns]
                truth[block.rows] = [
                    {c: _one_line(row[c]) for c in columns} for row in printed[block.rows]
                ]
        return truth

    def _named_specs(self) -> list[tuple[str, FieldSpec]]:
        specs: list[tuple[str, FieldSpec]] = []
        for name, spec in self.config.fields.items():
            if isinstance(spec, RowsSpec):
                specs += [(f"{name}.{n}", s) for n, s in spec.fields.items()]
            else:
                specs.append((name, spec))
        return specs

    def _scalar_specs(self) -> list[FieldSpec]:
        return [spec for _, spec in self._named_specs()]


def _one_line(value: str) -> str:
    """A value as its words read: an address's lines joined by spaces."""
    return " ".join(value.split())
