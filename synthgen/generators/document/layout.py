"""Page layout: blocks flow top to bottom, whole words fill lines, nothing is drawn yet.

The layout decides where every word's pen starts and which line, entity and region it
belongs to; the renderer draws it, and labels come from the drawn pixels. Words are never
split across lines (SynthDoG fills lines per character and labels "oppose d"): a word too
wide for its column is set in a smaller size instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthgen.errors import AssetError, PlacementError
from synthgen.generators.document import barcodes, fonts
from synthgen.generators.document.config import (
    BarcodeBlock,
    CheckboxBlock,
    DocumentConfig,
    FieldsBlock,
    FigureBlock,
    Localized,
    RuleBlock,
    TableBlock,
    TextBlock,
    TitleBlock,
    pick,
)
from synthgen.generators.document.fields import fill_placeholders, split_placeholders
from synthgen.sample import Entity, Region

LINE_SPACING = 1.25  # line height / (ascent + descent): lines' ink never touches
MIN_SIZE_PX = 6


class LayoutError(PlacementError):
    """The content does not fit the page (a template asks for more than a page holds)."""


@dataclass(frozen=True)
class PlacedWord:
    id: int
    text: str
    x: int  # pen position: left of the advance box, on the baseline
    baseline: int
    font: Path
    size: int
    line: int


@dataclass(frozen=True)
class Code:
    """What a barcode graphic draws: its symbology, the text it encodes, and its size."""

    symbology: str
    data: str
    module_px: int


@dataclass(frozen=True)
class Graphic:
    id: int
    kind: str  # logo, photo, signature, stamp, checkbox, checkbox_checked, barcode
    box: tuple[int, int, int, int]
    seed: int
    over_text: bool = False
    code: Code | None = None  # a barcode's


@dataclass(frozen=True)
class Rule:
    x0: int
    x1: int
    y: int
    thickness: int


@dataclass
class Layout:
    width: int
    height: int
    words: list[PlacedWord] = field(default_factory=list)
    lines: list[tuple[int, ...]] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    blocks: list[tuple[int, ...]] = field(default_factory=list)  # line indices per block
    graphics: list[Graphic] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)


@dataclass
class _Token:
    """A word or a graphic waiting for a line. ``entity`` indexes the builder's entities."""

    text: str | None
    font: Path
    size: int
    entity: int | None = None
    graphic: str | None = None
    width: float = 0.0
    newline: bool = False  # starts a new line (an address's next line)
    placed: int | None = None  # the word id, once on a line


@dataclass
class _Draft:
    label: str
    field_name: str | None
    words: list[int] = field(default_factory=list)


class PageBuilder:
    """Lays out one page from a config and its plan."""

    def __init__(self, config: DocumentConfig, plan: dict[str, Any], base_dir: Path) -> None:
        self.config = config
        self.plan = plan
        self.language = plan["locale"].split("_")[0]
        self.dpi = config.page.dpi
        self.px_mm = self.dpi / 25.4
        width_mm, height_mm = config.page.size_mm()
        self.width = round(width_mm * self.px_mm)
        self.fixed_height = None if height_mm == "auto" else round(height_mm * self.px_mm)
        self.margin = round(plan["margin_mm"] * self.px_mm)
        self.fonts = {
            role: [fonts.resolve_font(n, base_dir) for n in names]
            for role, names in config.fonts.items()
        }
        self.family = plan["font_family"]
        self.layout = Layout(self.width, 0)
        self.drafts: list[_Draft] = []
        self.next_id = 1

    # ------------------------------------------------------------------ the page

    def build(self) -> Layout:
        y = top = self.margin
        row_top = top
        for k, block in enumerate(self.config.blocks):
            jitter = self.plan["blocks"][k]
            if jitter is None:  # a figure that did not appear on this page
                continue
            x0, x1 = self._columns(block, jitter["shift_mm"])
            start = (
                row_top if block.beside else y + round(block.gap_mm * jitter["gap"] * self.px_mm)
            )
            if k == 0 and not block.beside:
                start = top
            first_line = len(self.layout.lines)
            end = self._block(block, k, x0, x1, start, jitter)
            if len(self.layout.lines) > first_line:
                self.layout.blocks.append(tuple(range(first_line, len(self.layout.lines))))
            row_top = start
            y = max(y, end) if block.beside else end
        self.layout.height = self.fixed_height or (y + self.margin)
        if self.fixed_height is not None and y > self.fixed_height - self.margin // 2:
            over = (y - self.fixed_height + self.margin // 2) / self.px_mm
            raise LayoutError(
                f"the content is {over:.0f} mm taller than the page; lower the rows' "
                "maximum, font sizes or gaps, or set page.height_mm: auto"
            )
        self._finish_entities()
        return self.layout

    def _columns(self, block: Any, shift_mm: float) -> tuple[int, int]:
        inner = self.width - 2 * self.margin
        shift = round(shift_mm * self.px_mm)
        x0 = self.margin + round(block.x.min * inner) + shift
        x1 = self.margin + round(block.x.max * inner) + shift
        return max(0, x0), min(self.width, x1)

    def _block(self, block: Any, k: int, x0: int, x1: int, y: int, jitter: dict[str, Any]) -> int:
        size = self._size(block.size_pt)
        if isinstance(block, TitleBlock):
            tokens = self._segments(block.text, block.font, size, "header", "header")
            return self._region("title", tokens, x0, x1, y, block.align)
        if isinstance(block, TextBlock):
            return self._text(block, x0, x1, y, size)
        if isinstance(block, FieldsBlock):
            return self._fields(block, x0, x1, y, size)
        if isinstance(block, TableBlock):
            return self._table(block, x0, x1, y, size)
        if isinstance(block, CheckboxBlock):
            return self._checkboxes(block, x0, x1, y, size)
        if isinstance(block, FigureBlock):
            return self._figure(block, x0, x1, y, jitter)
        if isinstance(block, BarcodeBlock):
            return self._barcode(block, f"blocks[{k}]", x0, x1, y)
        assert isinstance(block, RuleBlock)
        self.layout.rules.append(Rule(x0, x1, y, block.thickness_px))
        return y + block.thickness_px

    def _size(self, size_pt: float) -> int:
        return max(MIN_SIZE_PX, round(size_pt * self.plan["size"] * self.dpi / 72))

    # ----------------------------------------------------------------- blocks

    def _text(self, block: TextBlock, x0: int, x1: int, y: int, size: int) -> int:
        tokens: list[_Token] = []
        literal = "header" if block.role == "title" else "other"
        for line in block.lines:
            words = self._segments(line, block.font, size, literal, "answer")
            if words:
                words[0].newline = True
            tokens += words
        return self._region(block.role, tokens, x0, x1, y, block.align)

    def _segments(
        self, text: Localized, role: str, size: int, literal: str, value: str
    ) -> list[_Token]:
        """Tokens of a text with {field} placeholders: each placeholder's words are one
        entity (labeled ``value``, naming the field), each literal run another."""
        tokens: list[_Token] = []
        for part, is_field in split_placeholders(pick(text, self.language)):
            if is_field:
                entity = self._entity(value, part)
                tokens += self._words(self.plan["fields"][part], role, size, entity)
            elif part.strip():
                tokens += self._words(part, role, size, self._entity(literal, None))
        return tokens

    def _fields(self, block: FieldsBlock, x0: int, x1: int, y: int, size: int) -> int:
        for item in block.items:
            key_entity = self._entity("question", None)
            value_entity = self._entity("answer", item.value)
            self.layout.links.append((key_entity, value_entity))
            key = self._words(pick(item.key, self.language), block.key_font, size, key_entity)
            value = self._words(self.plan["fields"][item.value], block.font, size, value_entity)
            if block.style == "stacked":
                y = self._region("key", key, x0, x1, y, block.align)
                value_x = x0
            else:
                first_line = len(self.layout.lines)
                value_x = x0 + round(self._run_width(key) + self._space(key[-1]))
                y_end = self._flow(key + value, x0, x1, y, block.align, hang=value_x)
                self._regions_of(key, value)
                if block.underline:
                    self._underline(first_line, value_x, x1)
                y = y_end + round(0.15 * size)
                continue
            first_line = len(self.layout.lines)
            y = self._region("value", value, x0, x1, y, block.align)
            if block.underline:
                self._underline(first_line, value_x, x1)
            y += round(0.15 * size)
        return y

    def _table(self, block: TableBlock, x0: int, x1: int, y: int, size: int) -> int:
        total = sum(c.width for c in block.columns)
        edges = [x0]
        for col in block.columns:
            edges.append(edges[-1] + round((x1 - x0) * col.width / total))
        gutter = round(1.5 * self.px_mm)
        headers = []
        cells: list[list[_Token]] = []
        members: list[int] = []
        rows = self.plan["fields"][block.rows]
        header_line: list[tuple[list[_Token], int, int, str]] = []
        for c, col in enumerate(block.columns):
            entity = self._entity("question", None)
            headers.append(entity)
            words = self._words(pick(col.header, self.language), block.header_font, size, entity)
            header_line.append((words, edges[c], edges[c + 1] - gutter, col.align))
        y = self._row(header_line, y, members)
        if block.rules:
            self.layout.rules.append(Rule(x0, x1, y + round(0.3 * self.px_mm), 2))
            y += round(1.2 * self.px_mm)
        for i, row in enumerate(rows):
            line: list[tuple[list[_Token], int, int, str]] = []
            for c, col in enumerate(block.columns):
                entity = self._entity("answer", f"{block.rows}.{i}.{col.value}")
                self.layout.links.append((headers[c], entity))
                words = self._words(row[col.value], block.font, size, entity)
                line.append((words, edges[c], edges[c + 1] - gutter, col.align))
                cells.append(words)
            y = self._row(line, y, members)
        if block.rules:
            self.layout.rules.append(Rule(x0, x1, y + round(0.5 * self.px_mm), 2))
            y += round(1.5 * self.px_mm)
        self.layout.regions.append(Region("table", tuple(members)))
        return y

    def _checkboxes(self, block: CheckboxBlock, x0: int, x1: int, y: int, size: int) -> int:
        key_entity = self._entity("question", None)
        tokens = self._words(pick(block.key, self.language), block.font, size, key_entity)
        chosen = str(self.plan["values"][block.field])
        font = self._font(block.font, "x")
        box = round(fonts.sized(font, size).getmetrics()[0] * 0.8)
        key_words = list(tokens)
        for option, label in block.options.items():
            checked = option == chosen
            kind = "checkbox_checked" if checked else "checkbox"
            tokens.append(_Token(None, font, size, graphic=kind, width=box))
            entity = self._entity("answer", f"{block.field}.{option}")
            if checked:
                self.layout.links.append((key_entity, entity))
            tokens += self._words(pick(label, self.language), block.font, size, entity)
        end = self._flow(tokens, x0, x1, y, block.align, hang=x0)
        self.layout.regions.append(Region("key", self._placed(key_words)))
        return end

    def _figure(self, block: FigureBlock, x0: int, x1: int, y: int, jitter: dict[str, Any]) -> int:
        w = round(block.width_mm * self.px_mm)
        h = round(block.height_mm * self.px_mm)
        if block.over_text:
            fx, fy = jitter["at"]
            bottom = self.fixed_height or y + h
            gx = x0 + round(fx * max(0, x1 - x0 - w))
            gy = self.margin + round(fy * max(0, bottom - 2 * self.margin - h))
            self._graphic(block.figure, (gx, gy, gx + w, gy + h), jitter["seed"], over_text=True)
            return y - round(block.gap_mm * jitter["gap"] * self.px_mm)  # takes no room
        gx = {"left": x0, "right": x1 - w, "center": (x0 + x1 - w) // 2}[block.align]
        self._graphic(block.figure, (gx, y, gx + w, y + h), jitter["seed"])
        return y + h

    def _barcode(self, block: BarcodeBlock, where: str, x0: int, x1: int, y: int) -> int:
        """The code at whole pixels per module, inside its quiet zone (blank space on
        every side of a 2D code, left and right of a linear one)."""
        text = fill_placeholders(pick(block.data, self.language), self.plan["fields"])
        modules, data = barcodes.encode(block.symbology, text, where)
        module = max(1, round(block.module_mm * self.px_mm))
        linear = block.symbology in barcodes.LINEAR
        rows, cols = modules.shape
        w = cols * module
        h = round(block.height_mm * self.px_mm) if linear else rows * module
        quiet = barcodes.QUIET_MODULES[block.symbology] * module
        if w + 2 * quiet > x1 - x0:
            raise LayoutError(
                f"{where}: the {block.symbology} code of {text!r} is "
                f"{(w + 2 * quiet) / self.px_mm:.0f} mm wide with its quiet zone, its column "
                f"{(x1 - x0) / self.px_mm:.0f} mm; widen the block's x range, lower module_mm "
                "or shorten the data"
            )
        gx = {
            "left": x0 + quiet,
            "right": x1 - quiet - w,
            "center": (x0 + x1 - w) // 2,
        }[block.align]
        top = y if linear else y + quiet
        code = Code(block.symbology, data, module)
        self._graphic("barcode", (gx, top, gx + w, top + h), 0, code=code)
        return top + h + (0 if linear else quiet)

    # ---------------------------------------------------------------- words

    def _words(self, text: str, role: str, size: int, entity: int) -> list[_Token]:
        """Tokens of a text, one per space-separated word; a line break in the text (an
        address) starts a new line."""
        tokens = []
        for n, line in enumerate(text.split("\n")):
            for k, word in enumerate(line.split()):
                font = self._font(role, word)
                token = _Token(word, font, size, entity, newline=n > 0 and k == 0)
                token.width = fonts.sized(font, size).getlength(word)
                tokens.append(token)
        return tokens

    def _font(self, role: str, word: str) -> Path:
        """The page's font for a role, or the first of the role that has every character."""
        fonts.check_shaping(word)
        names = self.fonts[role]
        order = names[self.family % len(names) :] + names[: self.family % len(names)]
        for path in order:
            if not fonts.missing_chars(word, path):
                return path
        missing = "".join(sorted(set(fonts.missing_chars(word, order[0]))))
        codes = ", ".join(f"U+{ord(c):04X}" for c in missing)
        raise AssetError(
            f"no font of role '{role}' ({', '.join(p.name for p in names)}) can draw "
            f"{missing!r} ({codes}) in {word!r}; add a font that covers it to fonts.{role}"
        )

    def _space(self, token: _Token) -> float:
        return fonts.space_width(token.font, token.size)

    def _run_width(self, tokens: list[_Token]) -> float:
        return sum(t.width for t in tokens) + sum(self._space(t) for t in tokens[:-1])

    # ---------------------------------------------------------------- lines

    def _region(self, kind: str, tokens: list[_Token], x0: int, x1: int, y: int, align: str) -> int:
        end = self._flow(tokens, x0, x1, y, align, hang=x0)
        if tokens:
            self.layout.regions.append(Region(kind, self._placed(tokens)))
        return end

    def _regions_of(self, key: list[_Token], value: list[_Token]) -> None:
        self.layout.regions.append(Region("key", self._placed(key)))
        self.layout.regions.append(Region("value", self._placed(value)))

    def _placed(self, tokens: list[_Token]) -> tuple[int, ...]:
        return tuple(t.placed for t in tokens if t.placed is not None)

    def _flow(self, tokens: list[_Token], x0: int, x1: int, y: int, align: str, hang: int) -> int:
        """Fills lines from [x0, x1] with whole words (continuation lines start at
        ``hang``) and places them; returns the y below the last line."""
        lines: list[list[_Token]] = []
        width = 0.0
        for token in tokens:
            room = x1 - (x0 if len(lines) <= 1 else hang)  # the current line's room
            gap = self._space(lines[-1][-1]) if lines else 0.0
            if not lines or token.newline or width + gap + token.width > room:
                room = x1 - (hang if lines else x0)  # a new line; lines after the first hang
                if token.width > room:
                    self._shrink(token, room)
                lines.append([token])
                width = token.width
            else:
                lines[-1].append(token)
                width += gap + token.width
        for n, line in enumerate(lines):
            y = self._place_line(line, x0 if n == 0 else hang, x1, y, align)
        return y

    def _shrink(self, token: _Token, room: float) -> None:
        """A word wider than its column gets a smaller size (never a split)."""
        while token.width > room and token.size > MIN_SIZE_PX:
            token.size = max(MIN_SIZE_PX, int(token.size * room / token.width))
            token.width = fonts.sized(token.font, token.size).getlength(token.text or "")
        if token.width > room:
            raise LayoutError(f"the word {token.text!r} does not fit a {room:.0f} px column")

    def _place_line(self, line: list[_Token], x0: int, x1: int, y: int, align: str) -> int:
        height, baseline = self._line_box(line, y)
        widths = self._run_width(line)
        x = {"left": x0, "right": x1 - widths, "center": (x0 + x1 - widths) / 2}[align]
        ids = []
        for token in line:
            if token.graphic is not None:
                side = round(token.width)
                box = (round(x), baseline - side, round(x) + side, baseline)
                self._graphic(token.graphic, box, 0)
            else:
                ids.append(self._place_word(token, round(x), baseline))
            x += token.width + self._space(token)
        if ids:
            self.layout.lines.append(tuple(ids))
        return y + height

    def _line_box(self, tokens: list[_Token], y: int) -> tuple[int, int]:
        """A line's height and baseline: room for its tallest font, the ink centred."""
        metrics = [fonts.sized(t.font, t.size).getmetrics() for t in tokens]
        extent = max(m[0] + m[1] for m in metrics)
        height = round(extent * LINE_SPACING)
        return height, y + max(m[0] for m in metrics) + round((height - extent) / 2)

    def _place_word(self, token: _Token, x: int, baseline: int) -> int:
        """Puts a word on the line being built (the next line number) and its entity."""
        assert token.text is not None
        word_id = self._id()
        line_no = len(self.layout.lines)
        self.layout.words.append(
            PlacedWord(word_id, token.text, x, baseline, token.font, token.size, line_no)
        )
        token.placed = word_id
        if token.entity is not None:
            self.drafts[token.entity].words.append(word_id)
        return word_id

    def _row(
        self, cells: list[tuple[list[_Token], int, int, str]], y: int, members: list[int]
    ) -> int:
        """One table row: every cell on one baseline, all its words one line."""
        flat = [t for words, *_ in cells for t in words]
        if not flat:
            return y
        height, baseline = self._line_box(flat, y)
        ids = []
        for words, c0, c1, align in cells:
            for token in words:
                if token.width > c1 - c0:
                    self._shrink(token, c1 - c0)
            width = self._run_width(words) if words else 0.0
            if width > c1 - c0:  # several words: set the cell smaller, all alike
                for token in words:
                    self._shrink(token, token.width * (c1 - c0) / width)
                width = self._run_width(words)
            x = {"left": c0, "right": c1 - width, "center": (c0 + c1 - width) / 2}[align]
            for token in words:
                ids.append(self._place_word(token, round(x), baseline))
                x += token.width + self._space(token)
        self.layout.lines.append(tuple(ids))
        members += ids
        return y + height

    def _underline(self, first_line: int, x0: int, x1: int) -> None:
        for ids in self.layout.lines[first_line:]:
            first = next(w for w in reversed(self.layout.words) if w.id == ids[0])
            self.layout.rules.append(Rule(x0, x1, first.baseline + round(0.35 * first.size), 1))

    # ------------------------------------------------------------ bookkeeping

    def _entity(self, label: str, field_name: str | None) -> int:
        self.drafts.append(_Draft(label, field_name))
        return len(self.drafts) - 1

    def _graphic(
        self,
        kind: str,
        box: tuple[int, int, int, int],
        seed: int,
        over_text: bool = False,
        code: Code | None = None,
    ) -> None:
        gid = self._id()
        self.layout.graphics.append(Graphic(gid, kind, box, seed, over_text, code))
        if code is not None:
            attributes = {"symbology": code.symbology, "data": code.data}
            self.layout.regions.append(Region("barcode", (gid,), attributes))
            return
        region = kind if kind.startswith("checkbox") else "figure"
        self.layout.regions.append(Region(region, (gid,)))

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def _finish_entities(self) -> None:
        """Entity ids count from 0 over entities that got words; links follow them."""
        ids: dict[int, int] = {}
        for k, draft in enumerate(self.drafts):
            if draft.words:
                ids[k] = len(self.layout.entities)
                self.layout.entities.append(
                    Entity(ids[k], draft.label, tuple(draft.words), draft.field_name)
                )
        self.layout.links = [
            (ids[a], ids[b]) for a, b in self.layout.links if a in ids and b in ids
        ]
