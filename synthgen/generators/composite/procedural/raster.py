"""Shared drawing for the procedural assets: signed-distance shapes, OpenCV masks, text."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

_SS = 4  # supersampling of masks drawn with OpenCV
_FRAC = 16  # OpenCV fixed-point coordinates: 4 fractional bits

_Point = tuple[float, float]
_Colour = npt.ArrayLike


def _palette(hexes: str) -> np.ndarray:
    """Colours written as "rrggbb" words -> (N, 3) float32 RGB."""
    return np.array([[int(h[i : i + 2], 16) for i in (0, 2, 4)] for h in hexes.split()], np.float32)


def _check(low: int, **values: int) -> None:
    for name, value in values.items():
        if value < low:
            raise ValueError(f"{name} must be at least {low}, got {value}")


def _f32(values: npt.ArrayLike) -> np.ndarray:
    return np.asarray(values, np.float32)


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


# ------------------------------------------------------------------------ shared drawing


@functools.lru_cache(maxsize=8)
def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates as broadcastable (1, W) and (H, 1) float32 arrays."""
    xs = np.arange(width, dtype=np.float32)[None, :] + 0.5
    ys = np.arange(height, dtype=np.float32)[:, None] + 0.5
    return xs, ys


def _pt(p: Sequence[float] | np.ndarray) -> tuple[int, int]:
    """An OpenCV point (4 fractional bits) for continuous image coordinates."""
    return round((p[0] - 0.5) * _FRAC), round((p[1] - 0.5) * _FRAC)


def _noise(
    rng: np.random.Generator, shape: tuple[int, int], cell: float, stretch: float = 1.0
) -> np.ndarray:
    """Smooth value noise in about [-1, 1]: features ``cell`` pixels tall, ``stretch``
    times as wide."""
    h, w = shape
    small = rng.uniform(-1, 1, (int(h / cell) + 3, int(w / cell / stretch) + 3))
    return cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)


def _ramp(xs: np.ndarray, ys: np.ndarray, angle: float, centre: _Point, span: float) -> np.ndarray:
    """Position along direction ``angle`` from ``centre``, in units of ``span``."""
    return ((xs - centre[0]) * math.cos(angle) + (ys - centre[1]) * math.sin(angle)) / span


def _rect(x0: float, y0: float, x1: float, y1: float) -> list[_Point]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _cover(sd: np.ndarray) -> np.ndarray:
    """Pixel coverage from the signed distance at its centre (exact for an edge parallel
    to an axis, within a few percent at other angles)."""
    return np.clip(0.5 - sd, 0.0, 1.0)


def _sd_convex(xs: np.ndarray, ys: np.ndarray, pts: Sequence[_Point]) -> np.ndarray:
    """Signed distance (negative inside) to a convex polygon; ``sd + t`` insets it by t."""
    poly = np.asarray(pts, np.float64)
    centre = poly.mean(axis=0)
    sides = []
    for p, q in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        n = np.array([q[1] - p[1], p[0] - q[0]]) / math.dist(p, q)
        n = -n if n @ (centre - p) > 0 else n  # outward
        sides.append((xs - float(p[0])) * float(n[0]) + (ys - float(p[1])) * float(n[1]))
    return functools.reduce(np.maximum, sides)


def _sd_circle(xs: np.ndarray, ys: np.ndarray, cx: float, cy: float, r: float) -> np.ndarray:
    return np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2) - r


def _sd_box(
    xs: np.ndarray, ys: np.ndarray, centre: _Point, half: _Point, radius: float
) -> np.ndarray:
    """Signed distance to a box with rounded corners (exact)."""
    qx = np.abs(xs - centre[0]) - (half[0] - radius)
    qy = np.abs(ys - centre[1]) - (half[1] - radius)
    outside = np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2)
    return outside + np.minimum(np.maximum(qx, qy), 0) - radius


class _Mask:
    """A coverage mask drawn with OpenCV at 4x and area-averaged down (alpha = coverage),
    over the pixels of ``shape`` (h, w) whose top-left pixel is ``origin`` (x, y)."""

    def __init__(self, shape: tuple[int, int], origin: tuple[int, int]) -> None:
        self.shape, self.origin = shape, np.array(origin, np.float64)
        self.img = np.zeros((shape[0] * _SS, shape[1] * _SS), np.uint8)

    def _at(self, p: npt.ArrayLike) -> np.ndarray:
        # Continuous c is hi-res pixel index c * _SS - 0.5 (OpenCV puts integers at centres).
        local = np.asarray(p, np.float64) - self.origin
        return np.round((local * _SS - 0.5) * _FRAC).astype(np.int32)

    def poly(self, pts: npt.ArrayLike, value: int = 255) -> _Mask:
        cv2.fillPoly(self.img, [self._at(pts)], value, cv2.LINE_8, 4)
        return self

    def circle(self, centre: npt.ArrayLike, r: float, value: int = 255) -> _Mask:
        return self.ellipse(centre, (r, r), 0, value)

    def ellipse(self, centre: npt.ArrayLike, axes: _Point, angle: float, value: int = 255) -> _Mask:
        size = (round(axes[0] * _SS * _FRAC), round(axes[1] * _SS * _FRAC))
        c = tuple(self._at(centre).tolist())
        cv2.ellipse(self.img, c, size, angle, 0, 360, value, -1, cv2.LINE_8, 4)
        return self

    def line(self, p: npt.ArrayLike, q: npt.ArrayLike, width: float) -> _Mask:
        a, b = tuple(self._at(p).tolist()), tuple(self._at(q).tolist())
        cv2.line(self.img, a, b, 255, max(1, round(width * _SS)), cv2.LINE_8, 4)
        return self

    def cover(self) -> np.ndarray:
        small = cv2.resize(self.img, self.shape[::-1], interpolation=cv2.INTER_AREA)
        return small.astype(np.float32) / 255


class _Canvas:
    """Premultiplied colour and alpha painted back to front through coverage masks, over
    the pixels of ``shape`` (h, w) whose top-left pixel is ``origin`` (x, y) in the cutout;
    ``xs``/``ys`` are the cutout coordinates of the pixel centres."""

    def __init__(self, shape: tuple[int, int], origin: tuple[int, int] = (0, 0)) -> None:
        self.origin = origin
        xs, ys = _grid(*shape)
        self.xs, self.ys = xs + np.float32(origin[0]), ys + np.float32(origin[1])
        self.rgb = np.zeros((*shape, 3), np.float32)
        self.alpha = np.zeros(shape, np.float32)

    def mask(self) -> _Mask:
        return _Mask(self.alpha.shape, self.origin)

    def paint(self, cover: np.ndarray, colour: _Colour) -> None:
        """Lays ``colour`` (a triple or an HxWx3 field) over everything, with ``cover``."""
        step = np.subtract(colour, self.rgb, dtype=np.float32)
        step *= cover[..., None]
        self.rgb += step
        self.alpha += (1 - self.alpha) * cover

    def tint(self, amount: np.ndarray, colour: _Colour) -> None:
        """Moves the colour already there towards ``colour`` by ``amount``; alpha stays."""
        step = self.alpha[..., None] * _f32(colour)
        step -= self.rgb
        step *= amount[..., None]
        self.rgb += step

    def rgba(self) -> np.ndarray:
        """Straight-alpha RGBA uint8 (rounded; colour is 0 where nothing was painted)."""
        out = np.empty((*self.alpha.shape, 4), np.uint8)
        straight = self.rgb / np.maximum(self.alpha, 1 / 1024)[..., None]
        out[..., :3] = np.clip(straight + 0.5, 0, 255)
        out[..., 3] = self.alpha * 255 + 0.5
        return out


def _shaded(base: _Colour, shade: np.ndarray) -> np.ndarray:
    return shade[..., None] * np.asarray(base, np.float32)


# --------------------------------------------------------------------------------- text


@functools.lru_cache(maxsize=256)
def _glyphs(text: str, cap: int, max_width: int) -> np.ndarray:
    """Ink coverage of ``text`` in bold sans, cropped to the ink: ``cap`` pixels tall unless
    that would make it wider than ``max_width``."""
    size = cap / 0.72  # the bundled face's cap height is about 0.72 em
    ink = _render(text, size)
    for _ in range(2):  # the ink box is not exactly proportional to the font size
        fit = min(cap / ink.shape[0], max_width / ink.shape[1])
        if abs(fit - 1) < 0.02:
            break
        size *= fit
        ink = _render(text, size)
    return _frozen(ink)


def _render(text: str, size: float) -> np.ndarray:
    # Pillow's bundled face (no system font files); a stroke in the same colour makes it bold.
    font = ImageFont.load_default(size=size)
    stroke = max(1.0, size / 14)
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    img = Image.new("L", (int(right - left) + 6, int(bottom - top) + 6))
    draw = ImageDraw.Draw(img)
    draw.text((3 - left, 3 - top), text, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    ink = np.asarray(img)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32) / 255


def _text(
    cv: _Canvas, text: str, centre: _Point, cap: float, width: float, colour: _Colour
) -> None:
    """Paints ``text`` with its ink box centred on ``centre`` to the nearest pixel (moving
    it by a fraction would blur the glyphs)."""
    ink = _glyphs(text, round(cap), round(width))
    h, w = ink.shape
    x0 = round(centre[0] - w / 2) - cv.origin[0]
    y0 = round(centre[1] - h / 2) - cv.origin[1]
    cover = np.zeros_like(cv.alpha)
    cover[y0 : y0 + h, x0 : x0 + w] = ink
    cv.paint(cover, colour)
