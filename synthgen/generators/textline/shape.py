"""A line of text drawn one grapheme cluster at a time, so each character owns its pixels.

Each cluster is drawn alone at its pen position in the shaped line: the advance of the
cluster before it, kerned against it, is ``len(prev + this) - len(this)``, which is what
HarfBuzz gives the whole line for pair kerning. On a straight line the result equals
Pillow's drawing of the whole line, pixel for pixel, wherever glyphs do not overlap.
Ligatures are switched off: a ligature is one glyph for two characters, so it has no
per-character ink. Pen positions are rounded to whole pixels, as Pillow places glyphs when
it draws a whole line, so each glyph's mask is drawn once per font and size and cached.

A curved or skewed line turns each glyph's coverage mask with its own affine map
(bilinear), so a glyph's ink is the warped mask itself: nothing is looked up
nearest-neighbour, and the id map stays exact.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import regex
from PIL import Image, ImageFont

from synthgen.errors import AssetError
from synthgen.generators.document import fonts

_FEATURES = ["-liga", "-clig", "-dlig"] if fonts.LAYOUT is ImageFont.Layout.RAQM else None
_CLUSTER = regex.compile(r"\X")
_SPACE = regex.compile(r"\s+")
_FORMAT = regex.compile(r"\p{Cf}")
# Scripts whose letters change shape with their neighbours: drawing a grapheme alone
# would show the wrong form.
_CONTEXTUAL = (
    "ARABIC",
    "SYRIAC",
    "NKO",
    "MONGOLIAN",
    "DEVANAGARI",
    "BENGALI",
    "GURMUKHI",
    "GUJARATI",
    "ORIYA",
    "TAMIL",
    "TELUGU",
    "KANNADA",
    "MALAYALAM",
    "SINHALA",
    "THAI",
    "LAO",
    "TIBETAN",
    "MYANMAR",
    "KHMER",
)


@dataclass(frozen=True)
class GlyphInk:
    """A cluster's coverage (h, w) uint8 and its top-left pixel in line coordinates
    (origin: the line's first pen position on the baseline)."""

    text: str
    start: int  # offset in the line's text
    word: int
    alpha: np.ndarray
    x: int
    y: int


def clean_text(text: str) -> str:
    """NFC, no format controls (soft hyphens, zero-width joiners draw nothing), every
    whitespace run one space: the string a line shows, as its label holds it."""
    text = unicodedata.normalize("NFC", _FORMAT.sub("", text))
    return _SPACE.sub(" ", text).strip()


def clusters(text: str) -> list[str]:
    """Extended grapheme clusters (Unicode UAX #29): one user-perceived character each."""
    return _CLUSTER.findall(text)


def check_drawable(text: str) -> None:
    """Refuses right-to-left and contextually shaped scripts (see the module docstring)."""
    fonts.check_shaping(text)
    for ch in text:
        if unicodedata.name(ch, "").startswith(_CONTEXTUAL):
            raise AssetError(
                f"{text!r}: {unicodedata.name(ch)} is drawn in context, so a line of it "
                "cannot be split into characters with their own pixels; text lines take "
                "Latin, Greek, Cyrillic, CJK and other scripts drawn glyph by glyph"
            )


def layout(
    text: str, font_path: Path, size: int, tracking_px: float
) -> list[tuple[str, int, int, float]]:
    """Per inked cluster: (cluster, offset in text, word index, pen x)."""
    face = _face(str(font_path), size)
    known = face.advances.get  # a hit is a dict lookup: no method call for the ~40 of a line
    placed = []
    pen, word, offset, prev = 0.0, 0, 0, ""
    for cluster in clusters(text):
        if prev:
            pair = prev + cluster
            pen += (known(pair) or face.advance(pair)) - (known(cluster) or face.advance(cluster))
            pen += tracking_px
        if cluster == " ":
            word += 1
        else:
            placed.append((cluster, offset, word, pen))
        offset += len(cluster)
        prev = cluster
    return placed


def line_width(placed: list[tuple[str, int, int, float]], font_path: Path, size: int) -> float:
    """From the first pen position to the end of the last cluster's advance."""
    if not placed:
        return 0.0
    cluster, _, _, pen = placed[-1]
    return pen + _face(str(font_path), size).advance(cluster)


def draw_glyphs(
    text: str,
    font_path: Path,
    size: int,
    tracking_px: float,
    skew_degrees: float = 0.0,
    sag_px: float = 0.0,
) -> list[GlyphInk]:
    """Every inked cluster's coverage where it lands: on a baseline arc that rises by
    ``sag_px`` at its middle, the whole line turned by ``skew_degrees`` (counter-clockwise)
    about its first pen position."""
    placed = layout(text, font_path, size, tracking_px)
    width = max(line_width(placed, font_path, size), 1.0)
    turn = math.radians(skew_degrees)
    face = _face(str(font_path), size)
    warped = bool(sag_px or turn)
    whole = rotation(turn, 0.0, 0.0)  # the same for every glyph: made once
    out = []
    for cluster, start, word, pen in placed:
        snapped = math.floor(pen + 0.5)  # where Pillow puts a glyph drawing a whole line
        alpha, dx, dy, inked = face.mask(cluster)
        x, y = snapped + dx, dy
        if warped:
            centre = snapped + face.advance(cluster) / 2
            matrix = _glyph_matrix(centre, width, sag_px, whole)
            alpha, x, y = _warp(alpha, x, y, matrix)
            inked = alpha.size > 0 and cv2.countNonZero(alpha) > 0
        if not inked:
            raise AssetError(
                f"{cluster!r} (U+{ord(cluster[0]):04X}) in {text!r} draws no ink in "
                f"{font_path.name} at {size} px; remove it from the texts or use another font"
            )
        out.append(GlyphInk(cluster, start, word, alpha, x, y))
    return out


Affine = tuple[float, float, float, float, float, float]  # x' = a x + b y + c, y' = d x + e y + f


def _glyph_matrix(centre: float, width: float, sag: float, whole: Affine) -> Affine:
    """One glyph's affine map (continuous line coordinates): turned by the arc's slope
    about its baseline centre, lifted onto the arc, then the whole line turned (``whole``:
    the line's rotation about its first pen position)."""
    u = 2 * centre / width - 1  # -1 at the line's start, +1 at its end
    lift = -sag * (1 - u * u)  # image y grows downwards: a positive sag rises
    slope = -math.atan(4 * sag * u / width)  # counter-clockwise where the arc climbs
    a, b, c, d, e, f = rotation(slope, centre, 0.0)
    return _compose(whole, (a, b, c, d, e, f + lift))


def rotation(angle: float, cx: float, cy: float) -> Affine:
    """Counter-clockwise as seen on screen (y down) about (cx, cy)."""
    c, s = math.cos(angle), math.sin(angle)
    return c, s, cx - c * cx - s * cy, -s, c, cy + s * cx - c * cy


def _compose(m: Affine, n: Affine) -> Affine:
    """m after n."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (
        a * p + b * s,
        a * q + b * t,
        a * r + b * u + c,
        d * p + e * s,
        d * q + e * t,
        d * r + e * u + f,
    )


def _warp(alpha: np.ndarray, x: int, y: int, m: Affine) -> tuple[np.ndarray, int, int]:
    """The patch at (x, y) moved by ``m`` (continuous coordinates), bilinear, into the
    integer window that holds it."""
    h, w = alpha.shape
    a, b, c, d, e, f = m
    xs = [a * px + b * py + c for px in (x, x + w) for py in (y, y + h)]
    ys = [d * px + e * py + f for px in (x, x + w) for py in (y, y + h)]
    x0, y0 = math.floor(min(xs)), math.floor(min(ys))
    x1, y1 = math.ceil(max(xs)), math.ceil(max(ys))
    # Patch pixel centres -> window pixel centres: shift by the origins and the half pixel.
    cx, cy = x + 0.5, y + 0.5
    full = np.array(
        [[a, b, a * cx + b * cy + c - x0 - 0.5], [d, e, d * cx + e * cy + f - y0 - 0.5]]
    )
    out = cv2.warpAffine(alpha, full, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderValue=0)
    return out, x0, y0


class _Face:
    """One font at one size, with what the lines ask of it again and again: advances of
    one or two clusters, and each cluster's coverage mask. Keyed by plain strings: a
    line asks ~40 times, and hashing Path keys cost more than the lookups."""

    def __init__(self, font_path: str, size: int) -> None:
        self.font = fonts.sized(Path(font_path), size)
        self.advances: dict[str, float] = {}
        self.masks: dict[str, tuple[np.ndarray, int, int, bool]] = {}

    def advance(self, text: str) -> float:
        """Shaped advance in px at this size (1/64 px steps, as Pillow lays out a line)."""
        found = self.advances.get(text)
        if found is None:
            if len(self.advances) >= _MAX_ADVANCES:  # texts of one or two clusters
                self.advances.clear()
            found = self.advances[text] = self.font.getlength(text, features=_FEATURES)
        return found

    def mask(self, cluster: str) -> tuple[np.ndarray, int, int, bool]:
        """The cluster's coverage drawn with its pen on a pixel corner of the baseline, its
        top-left pixel relative to the pen, and whether it has any ink."""
        found = self.masks.get(cluster)
        if found is None:
            if len(self.masks) >= _MAX_MASKS:
                self.masks.clear()
            core, (dx, dy) = self.font.getmask2(cluster, mode="L", anchor="ls", features=_FEATURES)
            # Read-only, as the cache needs; a quarter cheaper than np.asarray's array
            # interface, which goes through the same bytes.
            w, h = core.size
            alpha = np.frombuffer(Image.Image()._new(core).tobytes(), np.uint8).reshape(h, w)
            found = self.masks[cluster] = (alpha, dx, dy, bool(alpha.any()))
        return found


# Per face; a full face is emptied and fills again. Latin text: a face meets ~3000 pairs
# and ~200 clusters, ~0.5 MB; the shipped template's 138 faces ~70 MB when all are full.
_MAX_ADVANCES = 1 << 12
_MAX_MASKS = 1 << 9


@lru_cache(maxsize=256)  # the shipped template: 6 fonts x 23 sizes
def _face(font_path: str, size: int) -> _Face:
    return _Face(font_path, size)
