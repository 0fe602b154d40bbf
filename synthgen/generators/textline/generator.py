"""The text-line generator: one line of text per image, for OCR recognition training.

The plan holds everything random (the text, font, size, spacing, skew, curve, colours,
background crop, degradations), so a line is rebuilt from its plan alone. Each grapheme
cluster is an instance: its pixels are those where its glyph's coverage is the highest
(shared anti-aliased edge pixels go to the darker glyph), so character boxes, and word boxes
as unions of them, come from pixels, never from font metrics.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import cache, lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np

from synthgen.config import resolve_path
from synthgen.errors import AssetError
from synthgen.files import read_image, verify_image
from synthgen.generators.base import Generator
from synthgen.generators.composite.assets import IMAGE_SUFFIXES
from synthgen.generators.document import fonts
from synthgen.generators.document.degrade import (
    apply_degradations,
    plan_degradations,
)
from synthgen.generators.document.fields import FieldError, faker_value, sample_fields
from synthgen.generators.document.render import ID_DTYPE
from synthgen.generators.fakers import Fakers
from synthgen.generators.textline import shape
from synthgen.generators.textline.config import TextLinesConfig, TextSource
from synthgen.sample import Category, Document, Entity, Glyph, Instance, Region, Sample, Word

CATEGORIES = ("word",)
_CHECK_DRAWS = 20  # texts drawn per source and locale by check()
_GRAIN_SHAPE = (512, 4096)  # 8 MB of float32 per process
_EYE = np.eye(3)


class TextLinesGenerator(Generator[TextLinesConfig]):
    """Text-line crops with the exact string and a box per word and per character."""

    config_type = TextLinesConfig
    provides: ClassVar[frozenset[str]] = frozenset({"image", "document", "line"})
    chunk: ClassVar[int] = 32
    # Forked workers (see base.py): fonts are FreeType faces over read-only mmaps (no file
    # offset shared between processes), everything else is numpy and Python; the workers
    # set OpenCV to one thread before any work.
    fork_workers: ClassVar[bool] = True

    def __init__(self, config: TextLinesConfig, base_dir: Path) -> None:
        super().__init__(config, base_dir)
        self.locales = list(config.locales)
        self.locale_cdf = _cdf(config.locales.values())
        self.source_cdf = _cdf(s.weight for s in config.texts)
        self._faker = Fakers(config.today)  # on a stopped clock: see fakers.py
        self.font_paths = [fonts.resolve_font(name, base_dir) for name in config.fonts]
        bg = config.background.images
        self.backgrounds = _image_list(resolve_path(bg, base_dir)) if bg is not None else []

    def categories(self) -> list[Category]:
        return [Category(i, kind, "text") for i, kind in enumerate(CATEGORIES, start=1)]

    def check(self) -> None:
        """Before any line: fonts load, corpora hold text, background images decode, and
        a few texts of every source and locale can be drawn by some font."""
        for path in self.font_paths:
            fonts.charset(path)
        for path in self.backgrounds:
            verify_image(path)
        # The clock stopped once for all the draws: stopping it costs as much as a draw.
        with self._faker.clock():
            self._check_texts()

    def _check_texts(self) -> None:
        rng = np.random.default_rng(0)
        for k, source in enumerate(self.config.texts):
            where = f"texts[{k}]"
            if source.corpus is not None:
                for text in self._corpus(source):
                    self._check_text(text, where)
                continue
            for locale in self.locales:
                faker = self._faker(locale)
                for _ in range(_CHECK_DRAWS):
                    faker.seed_instance(int(rng.integers(2**63)))
                    self._check_text(self._draw_text(source, faker, locale, rng), where)

    def _check_text(self, text: str, where: str) -> None:
        try:
            shape.check_drawable(text)
        except AssetError as err:
            raise AssetError(f"{where}: {err}") from None
        if not self._fonts_for(text):
            missing = "".join(sorted(set(fonts.missing_chars(text, self.font_paths[0]))))
            raise AssetError(
                f"{where}: no font in fonts can draw {missing!r} of {text!r}; add a font "
                "that covers it, or change the texts"
            )

    def fingerprint(self) -> dict[str, Any]:
        return {
            "faker": version("faker"),
            "pillow": version("pillow"),
            "fonts": {str(p): p.stat().st_size for p in self.font_paths},
            "corpora": {
                str(s.corpus): resolve_path(s.corpus, self.base_dir).stat().st_size
                for s in self.config.texts
                if s.corpus is not None
            },
            "backgrounds": [[p.name, p.stat().st_size] for p in self.backgrounds],
        }

    def plan(self, rng: np.random.Generator) -> dict[str, Any]:
        config = self.config
        locale = self.locales[_choice(rng, self.locale_cdf)]
        k = _choice(rng, self.source_cdf)
        source = config.texts[k]
        faker = self._faker(locale)
        faker.seed_instance(int(rng.integers(2**63)))
        with self._faker.clock():
            text = self._draw_text(source, faker, locale, rng)
        fits = self._fonts_for(text)
        if not fits:
            raise AssetError(f"texts[{k}]: no font in fonts can draw {text!r}")
        size = config.size_px.sample(rng)
        return {
            "locale": locale,
            "source": source.label(),
            "text": text,
            "font": str(fits[int(rng.integers(len(fits)))]),
            "size": size,
            "tracking": round(config.tracking.sample(rng) * size, 3),
            "skew": round(config.skew_degrees.sample(rng), 3),
            "sag": round(config.curve.sample(rng) * size, 3),
            "padding": [config.padding_px.sample(rng) for _ in range(4)],
            "ink": [int(v) for v in config.ink[int(rng.integers(len(config.ink)))]],
            "background": self._plan_background(rng),
            "degrade": plan_degradations(config.degrade, rng),
        }

    def _plan_background(self, rng: np.random.Generator) -> dict[str, Any]:
        bg = self.config.background
        colour = [int(v) for v in bg.colours[int(rng.integers(len(bg.colours)))]]
        plan: dict[str, Any] = {
            "colour": colour,
            "grain": round(bg.grain.sample(rng), 3),
            "seed": int(rng.integers(2**31)),
        }
        if self.backgrounds and rng.random() < bg.image_p:
            plan["image"] = self.backgrounds[int(rng.integers(len(self.backgrounds)))].name
            plan["at"] = [round(float(rng.random()), 5), round(float(rng.random()), 5)]
        return plan

    def render(self, plan: dict[str, Any]) -> Sample:
        text = plan["text"]
        inks = shape.draw_glyphs(
            text, Path(plan["font"]), plan["size"], plan["tracking"], plan["skew"], plan["sag"]
        )
        alpha, id_map, origin = _compose(inks, plan["padding"])
        image = _blend(self._background(plan["background"], alpha.shape), alpha, plan["ink"])
        warp = _skew_homography(plan["skew"], origin)
        if plan["degrade"]:
            image, id_map, moved = apply_degradations(image, id_map, plan["degrade"])
            # (exactly the identity without a geometric step: skip allclose's cost then)
            if not np.array_equal(moved, _EYE) and not np.allclose(moved, _EYE):
                warp = moved if warp is None else moved @ warp
        # A glyph is only its visible ink: no amodal mask, so labels look its pixels up in
        # the final id map wherever a warp moved them.
        instances = [Instance(k, "glyph") for k in range(1, len(inks) + 1)]
        document = _document(text, inks, plan["source"], warp)
        document.language = plan["locale"].split("_")[0]
        return Sample(image, id_map, instances, plan=plan, document=document)

    def _background(self, plan: dict[str, Any], shape_hw: tuple[int, int]) -> np.ndarray:
        h, w = shape_hw
        noise = None
        if plan["grain"] > 0:
            noise = np.rint(_grain(h, w, plan["seed"]) * plan["grain"]).astype(np.int16)
        if "image" not in plan:
            return _paper(plan["colour"], noise, h, w)
        image = _cover_crop(_load_background(self._background_path(plan["image"])), w, h, plan)
        return image if noise is None else _add_grain(image, noise)

    def _background_path(self, name: str) -> Path:
        bg = self.config.background.images
        assert bg is not None
        return resolve_path(bg, self.base_dir) / name

    def _draw_text(
        self, source: TextSource, faker: Any, locale: str, rng: np.random.Generator
    ) -> str:
        """A text from the source, as the line shows it (cleaned, at most max_chars)."""
        if source.corpus is not None:
            lines = self._corpus(source)
            text = lines[int(rng.integers(len(lines)))]
            if source.words is not None:
                words = text.split(" ")
                n = min(source.words.sample(rng), len(words))
                first = int(rng.integers(len(words) - n + 1))
                text = " ".join(words[first : first + n])
        elif source.faker is not None:
            try:
                text = str(faker_value(faker, source.faker, source.args, "texts"))
            except FieldError as err:
                raise AssetError(f"{err} (locale {locale})") from None
        else:
            text = sample_fields({"text": source}, ["text"], faker, locale, rng).printed["text"]
        if source.upper:
            text = text.upper()
        return _shorten(shape.clean_text(text), self.config.max_chars)

    def _fonts_for(self, text: str) -> list[Path]:
        need = {ord(ch) for ch in text if ch != " "}  # clean text: spaces are its only blanks
        return [p for p in self.font_paths if need <= fonts.charset(p)]

    def _corpus(self, source: TextSource) -> list[str]:
        assert source.corpus is not None
        return _read_corpus(resolve_path(source.corpus, self.base_dir))


def _cdf(weights: Any) -> list[float]:
    """The cumulative distribution that ``rng.choice(n, p=weights / sum)`` searches."""
    w = np.array(list(weights), dtype=np.float64)
    cdf = (w / w.sum()).cumsum()
    cdf /= cdf[-1]
    out: list[float] = cdf.tolist()
    return out


def _choice(rng: np.random.Generator, cdf: list[float]) -> int:
    """``rng.choice(len(cdf), p=p)`` exactly (the same index from the same one draw, as
    numpy does it: the first cdf value above a uniform number), without its argument
    checks, which cost ten times the draw."""
    return bisect_right(cdf, rng.random())


def _shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at the last space that keeps it under (a single
    long word is cut hard: better a shorter word than a line that never fits)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit + 1)
    return text[: cut if cut > 0 else limit].rstrip()


@cache
def _read_corpus(path: Path) -> list[str]:
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise AssetError(f"{path}: not UTF-8 text ({err}); save the corpus as UTF-8") from None
    lines = [shape.clean_text(line) for line in raw.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise AssetError(f"{path}: the corpus has no text; give one text per line")
    return lines


def _image_list(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise AssetError(f"{folder}: no background images found (png, jpg, webp, ...)")
    return files


@lru_cache(maxsize=16)
def _load_background(path: Path) -> np.ndarray:
    image = read_image(path, cv2.IMREAD_COLOR)
    image.flags.writeable = False
    return image


def _cover_crop(src: np.ndarray, w: int, h: int, plan: dict[str, Any]) -> np.ndarray:
    """A (h, w) window of the image at the planned spot, the image first enlarged to
    cover the line if it is smaller."""
    sh, sw = src.shape[:2]
    grow = max(w / sw, h / sh)
    if grow > 1:
        src = cv2.resize(src, (max(round(sw * grow), w), max(round(sh * grow), h)))
        sh, sw = src.shape[:2]
    fx, fy = plan["at"]
    x, y = int(fx * (sw - w)), int(fy * (sh - h))
    return np.ascontiguousarray(src[y : y + h, x : x + w])


@cache
def _grain_texture() -> np.ndarray:
    """Unit Gaussian noise made once per process from a fixed seed: a line's grain is a
    window of it, so no line pays for drawing its own noise."""
    return np.random.default_rng(0).standard_normal(_GRAIN_SHAPE, dtype=np.float32)


def _grain(h: int, w: int, seed: int) -> np.ndarray:
    texture = _grain_texture()
    th, tw = texture.shape
    if h > th or w > tw:  # a huge line: tile the texture
        texture = np.tile(texture, (-(-h // th), -(-w // tw)))
        th, tw = texture.shape
    y, x = seed % (th - h + 1), (seed // (th - h + 1)) % (tw - w + 1)
    return texture[y : y + h, x : x + w]


def _paper(colour: list[int], noise: np.ndarray | None, h: int, w: int) -> np.ndarray:
    """A flat colour plus grain, clip(colour + noise), made a channel at a time: OpenCV
    adds a scalar to int16 and saturates to uint8 in one pass."""
    if noise is None:
        return np.full((h, w, 3), colour, np.uint8)
    channels = [cv2.add(noise, c, dtype=cv2.CV_8U) for c in colour]  # type: ignore[call-overload]
    out: np.ndarray = cv2.merge(channels)
    return out


def _add_grain(image: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """clip(image + noise) for a background picture."""
    out: np.ndarray = np.clip(image + noise[..., None], 0, 255).astype(np.uint8)
    return out


def _blend(image: np.ndarray, alpha: np.ndarray, ink: list[int]) -> np.ndarray:
    """image * (1 - a) + ink * a with render.blend's exact integer rounding,
    (v + 127) // 255, in a few passes: v = image * (255 - a) + ink * a is an exact uint16
    (ink * a from a lookup table), and OpenCV rounds v / 255 to the nearest integer, which
    is the same number (v / 255 is never within 1/255 of a half). The tests check every
    value."""
    a3: np.ndarray = cv2.merge([alpha, alpha, alpha])
    v = image.astype(np.uint16)
    v *= 255 - a3
    ink_a: np.ndarray = cv2.LUT(a3, _ink_table(*ink))
    v += ink_a
    out: np.ndarray = cv2.convertScaleAbs(v, alpha=1 / 255)
    return out


@lru_cache(maxsize=64)
def _ink_table(*ink: int) -> np.ndarray:
    """ink * a for every coverage a, per channel: OpenCV's 3-channel lookup table."""
    return (np.arange(256, dtype=np.uint16)[:, None] * np.array(ink, np.uint16)).reshape(256, 1, 3)


def _compose(
    inks: list[shape.GlyphInk], padding: list[int]
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The line's coverage and id map (glyph k has id k + 1) on a canvas that holds every
    glyph plus the padding; returns the canvas origin in line coordinates. A pixel's id is
    the glyph with the highest coverage there (the first one on ties)."""
    x0 = min(g.x for g in inks) - padding[0]
    y0 = min(g.y for g in inks) - padding[1]
    x1 = max(g.x + g.alpha.shape[1] for g in inks) + padding[2]
    y1 = max(g.y + g.alpha.shape[0] for g in inks) + padding[3]
    alpha = np.zeros((y1 - y0, x1 - x0), np.uint8)
    ids = np.zeros((y1 - y0, x1 - x0), ID_DTYPE)
    for k, glyph in enumerate(inks, start=1):
        h, w = glyph.alpha.shape
        window = np.s_[glyph.y - y0 : glyph.y - y0 + h, glyph.x - x0 : glyph.x - x0 + w]
        here = alpha[window]
        ids[window][glyph.alpha > here] = k
        cv2.max(here, glyph.alpha, dst=here)  # in place; cheaper than numpy's on a glyph
    owned = np.bincount(ids.ravel(), minlength=len(inks) + 1)
    if not owned[1:].all():
        hidden = inks[int(np.flatnonzero(owned[1:] == 0)[0])].text
        raise AssetError(
            f"the character {hidden!r} is hidden under its neighbours' ink; lower the curve "
            "or raise the tracking"
        )
    return alpha, ids, (x0, y0)


def _skew_homography(skew: float, origin: tuple[int, int]) -> np.ndarray | None:
    """The rotation that turned the straight line (about its first pen position), in the
    canvas's OpenCV pixel-centre coordinates: it orients word quadrilaterals."""
    if not skew:
        return None
    pivot = (-origin[0] - 0.5, -origin[1] - 0.5)
    return np.array([*shape.rotation(np.radians(skew), *pivot), 0.0, 0.0, 1.0]).reshape(3, 3)


def _document(
    text: str, inks: list[shape.GlyphInk], source: str, warp: np.ndarray | None
) -> Document:
    words_text = text.split(" ")
    glyph_ids = len(inks)
    words = [Word(glyph_ids + 1 + i, w, 0) for i, w in enumerate(words_text)]
    glyphs = [Glyph(k, g.text, g.word, g.start) for k, g in enumerate(inks, start=1)]
    members: dict[int, list[int]] = {}
    for g in glyphs:
        members.setdefault(g.word, []).append(g.id)
    word_ids = tuple(w.id for w in words)
    return Document(
        words=words,
        lines=[word_ids],
        entities=[Entity(0, "other", word_ids, source)],
        links=[],
        regions=[Region("word", tuple(members[i])) for i in range(len(words))],
        fields={"text": text},
        warp=warp,
        glyphs=glyphs,
        blocks=[(0,)],
    )
