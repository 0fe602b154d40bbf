"""Traffic-sign cutouts with exact keypoints: the quickstart's labeled classes."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from synthgen.generators.composite.procedural.raster import (
    _FRAC,
    _Canvas,
    _check,
    _cover,
    _f32,
    _frozen,
    _noise,
    _palette,
    _Point,
    _pt,
    _ramp,
    _sd_box,
    _sd_circle,
    _sd_convex,
    _shaded,
    _text,
)

_SIGN_SEED = 0x516E
SIGN_VARIANTS = 8  # cutouts per class by default


@dataclass(frozen=True)
class ClassSpec:
    """A labeled class: keypoint names (same order in every cutout), flip pairs, skeleton."""

    name: str
    keypoints: tuple[str, ...]
    flip_pairs: tuple[tuple[str, str], ...]
    skeleton: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ProceduralCutout:
    """RGBA uint8 (RGB order, straight alpha) and keypoints in its continuous coordinates."""

    rgba: np.ndarray
    keypoints: dict[str, tuple[float, float]]


def _sign_class(name: str) -> ClassSpec:
    keypoints = ("center", "top", "bottom", "left", "right")
    return ClassSpec(name, keypoints, (("left", "right"),), (("left", "right"), ("top", "bottom")))


TRAFFIC_SIGNS: tuple[ClassSpec, ...] = tuple(
    _sign_class(n)
    for n in ("stop", "yield", "speed_limit", "no_entry", "pedestrian_crossing", "parking")
)
"""The labeled classes; their order is the order of category ids."""


# -------------------------------------------------------------------------------- signs

_Box = tuple[float, float, float, float]  # x0, y0, width, height of a sign face
_Keypoints = dict[str, tuple[float, float]]
_RED, _WHITE, _BLUE, _BLACK = _palette("c41424 f2f2ec 0050a0 18181a")


def _keypoints(
    centre: _Point, top: _Point, bottom: _Point, left: _Point, right: _Point
) -> _Keypoints:
    pts = {"center": centre, "top": top, "bottom": bottom, "left": left, "right": right}
    return {k: (float(x), float(y)) for k, (x, y) in pts.items()}


def _cross(cx: float, cy: float, rx: float, ry: float) -> _Keypoints:
    """Keypoints of a face symmetric about both axes: its centre and four extremes."""
    return _keypoints((cx, cy), (cx, cy - ry), (cx, cy + ry), (cx - rx, cy), (cx + rx, cy))


def _rim(size: float) -> float:
    # The thin white edge of real signs; over a pixel wide, so that layers inside it never
    # share a pixel with the outline (their coverage would add up in alpha).
    return max(1.2, 0.03 * size)


def _stop(cv: _Canvas, box: _Box, variant: int, rng: np.random.Generator) -> _Keypoints:
    x0, y0, w, _ = box
    a = w / 2  # apothem: the midpoints of the flat edges are the extremes
    cx, cy = x0 + a, y0 + a
    e = a * math.tan(math.pi / 8)
    octagon = [(e, -a), (a, -e), (a, e), (e, a), (-e, a), (-a, e), (-a, -e), (-e, -a)]
    sd = _sd_convex(cv.xs, cv.ys, [(cx + x, cy + y) for x, y in octagon])
    cv.paint(_cover(sd), _WHITE)
    cv.paint(_cover(sd + _rim(w)), _RED)
    _text(cv, "STOP", (cx, cy), 0.56 * a, 1.5 * a, _WHITE)
    return _cross(cx, cy, a, a)


def _yield(cv: _Canvas, box: _Box, variant: int, rng: np.random.Generator) -> _Keypoints:
    x0, y0, w, h = box
    cx = x0 + w / 2
    sd = _sd_convex(cv.xs, cv.ys, [(x0, y0), (x0 + w, y0), (cx, y0 + h)])
    cv.paint(_cover(sd), _WHITE)
    cv.paint(_cover(sd + _rim(w)), _RED)
    cv.paint(_cover(sd + _rim(w) + w * rng.uniform(0.11, 0.14)), _WHITE)
    return _keypoints((cx, y0 + h / 3), (cx, y0), (cx, y0 + h), (x0, y0), (x0 + w, y0))


_SPEEDS = ("30", "50", "20", "70", "120", "60", "80", "100")


def _speed_limit(cv: _Canvas, box: _Box, variant: int, rng: np.random.Generator) -> _Keypoints:
    x0, y0, w, _ = box
    r = w / 2
    cx, cy = x0 + r, y0 + r
    sd = _sd_circle(cv.xs, cv.ys, cx, cy, r)
    ring = r * rng.uniform(0.15, 0.2)
    cv.paint(_cover(sd), _WHITE)
    cv.paint(_cover(sd + _rim(w)), _RED)
    cv.paint(_cover(sd + _rim(w) + ring), _WHITE)
    inner = r - _rim(w) - ring
    _text(cv, _SPEEDS[variant % len(_SPEEDS)], (cx, cy), 0.8 * inner, 1.45 * inner, _BLACK)
    return _cross(cx, cy, r, r)


def _no_entry(cv: _Canvas, box: _Box, variant: int, rng: np.random.Generator) -> _Keypoints:
    x0, y0, w, _ = box
    r = w / 2
    cx, cy = x0 + r, y0 + r
    sd = _sd_circle(cv.xs, cv.ys, cx, cy, r)
    cv.paint(_cover(sd), _WHITE)
    cv.paint(_cover(sd + _rim(w)), _RED)
    bar = (r * rng.uniform(0.66, 0.74), r * rng.uniform(0.15, 0.19))
    cv.paint(_cover(_sd_box(cv.xs, cv.ys, (cx, cy), bar, 0.02 * r)), _WHITE)
    return _cross(cx, cy, r, r)


def _blue_plate(cv: _Canvas, box: _Box, rng: np.random.Generator) -> _Keypoints:
    """The rounded blue plate of information signs, with a white edge and maybe a line."""
    x0, y0, w, h = box
    cx, cy = x0 + w / 2, y0 + h / 2
    sd = _sd_box(cv.xs, cv.ys, (cx, cy), (w / 2, h / 2), 0.08 * min(w, h))
    cv.paint(_cover(sd), _WHITE)
    cv.paint(_cover(sd + _rim(w)), _BLUE)
    if rng.random() < 0.5:
        inset = _rim(w) + 0.035 * w
        cv.paint(_cover(sd + inset), _WHITE)
        cv.paint(_cover(sd + inset + max(1.0, 0.02 * w)), _BLUE)
    return _cross(cx, cy, w / 2, h / 2)


def _parking(cv: _Canvas, box: _Box, variant: int, rng: np.random.Generator) -> _Keypoints:
    kp = _blue_plate(cv, box, rng)
    _, _, w, h = box
    _text(cv, "P", kp["center"], 0.62 * min(h, 1.15 * w), 0.7 * w, _WHITE)
    return kp


def _crossing(cv: _Canvas, box: _Box, variant: int, rng: np.random.Generator) -> _Keypoints:
    kp = _blue_plate(cv, box, rng)
    x0, y0, w, h = box
    cx = x0 + w / 2
    apex, base = y0 + 0.1 * h, y0 + 0.86 * h
    half = (base - apex) / math.sqrt(3)  # equilateral
    triangle = [(cx, apex), (cx + half, base), (cx - half, base)]
    cv.paint(_cover(_sd_convex(cv.xs, cv.ys, triangle)), _WHITE)
    cv.paint(_walker(cv, cx, base - 0.04 * h, base - apex), _BLACK)
    return kp


def _walker(cv: _Canvas, cx: float, foot: float, t: float) -> np.ndarray:
    """Coverage of a walking figure on zebra stripes; ``t`` is the triangle's height."""
    m = cv.mask()

    def at(dx: float, dy: float) -> _Point:
        return cx + dx * t, foot - dy * t

    for x in np.arange(-0.2, 0.25, 0.1):  # the stripes, leaning a little
        m.poly([at(x - 0.035, 0), at(x + 0.035, 0), at(x + 0.045, 0.05), at(x - 0.025, 0.05)])
    hip, shoulder, knee, rear = at(-0.03, 0.3), at(0.015, 0.49), at(0.1, 0.17), at(-0.1, 0.16)
    m.circle(at(0.05, 0.62), 0.062 * t)
    m.line(hip, at(0.02, 0.52), 0.1 * t)
    m.line(hip, knee, 0.075 * t).line(knee, at(0.15, 0.07), 0.07 * t)
    m.line(hip, rear, 0.075 * t).line(rear, at(-0.2, 0.08), 0.07 * t)
    m.line(shoulder, at(0.13, 0.38), 0.055 * t).line(shoulder, at(-0.1, 0.37), 0.055 * t)
    return m.cover()


# name -> (range of face height / width, drawer)
_SIGN_SHAPES: dict[str, tuple[_Point, Callable[..., _Keypoints]]] = {
    "stop": ((1.0, 1.0), _stop),
    "yield": ((0.84, 0.9), _yield),  # 0.866 is equilateral
    "speed_limit": ((1.0, 1.0), _speed_limit),
    "no_entry": ((1.0, 1.0), _no_entry),
    "pedestrian_crossing": ((1.0, 1.0), _crossing),
    "parking": ((1.0, 1.3), _parking),
}


def _sign_layout(rng: np.random.Generator, size: int, aspect: float) -> tuple[_Box, float]:
    """The face's box in the cutout, and where the pole stub ends (0: no pole)."""
    room = size - 4.0  # a clear margin of 2 px keeps the silhouette off the border
    stub = rng.uniform(0.25, 0.6) if rng.random() < 0.4 else 0.0
    w = min(room * rng.uniform(0.6, 1.0), room / (aspect * (1 + stub)))
    h = w * aspect
    x0 = 2 + rng.uniform(0, max(0.0, room - w))
    y0 = 2 + rng.uniform(0, max(0.0, room - h * (1 + stub)))
    return (x0, y0, w, h), (y0 + h * (1 + stub) if stub else 0.0)


def _pole(cv: _Canvas, rng: np.random.Generator, box: _Box, end: float) -> None:
    """A grey metal stub from behind the sign's centre down to ``end``, lit like a tube."""
    x0, y0, w, h = box
    cx, half = x0 + w / 2, max(1.5, w * rng.uniform(0.03, 0.045))
    top = y0 + h / 2
    sd = _sd_box(cv.xs, cv.ys, (cx, (top + end) / 2), (half, (end - top) / 2), 0)
    across = np.clip((cv.xs - cx) / half, -1, 1) - rng.uniform(-0.5, 0.5)
    shade = (0.55 + 0.5 * np.cos(across * 1.4)) * rng.uniform(120, 175)
    cv.paint(_cover(sd), _shaded((1.0, 1.0, 1.04), shade))


def _weather(cv: _Canvas, rng: np.random.Generator) -> None:
    """Fading or dirt, grime, scratches, a lighting gradient and sensor noise."""
    h, w = cv.alpha.shape
    look = rng.choice(["fresh", "faded", "dirty"], p=[0.4, 0.3, 0.3])
    if look == "faded":  # sunlight bleaches paint towards a pinkish white
        t = np.float32(rng.uniform(0.15, 0.4))
        cv.rgb = cv.rgb * (1 - t) + t * cv.alpha[..., None] * _f32([236, 226, 222])
    elif look == "dirty":
        cv.rgb *= np.float32(rng.uniform(0.72, 0.9)) * _f32([1, 0.96, 0.86])
    else:  # fresh retroreflective sheeting looks more saturated
        grey = cv.rgb.mean(axis=2, keepdims=True)
        cv.rgb = grey + (cv.rgb - grey) * np.float32(rng.uniform(1.0, 1.2))
    grime = np.clip(_noise(rng, (h, w), max(h, w) / 6) - rng.uniform(0.2, 0.6), 0, 1)
    cv.tint(grime * rng.uniform(0.3, 1.0 if look == "dirty" else 0.5), (88, 78, 60))
    cv.tint(_marks(rng, (h, w)) * 0.55, (205, 200, 190) if rng.random() < 0.6 else (60, 55, 45))
    centre = (cv.origin[0] + w / 2, cv.origin[1] + h / 2)
    light = 1 + rng.uniform(-0.3, 0.3) * _ramp(cv.xs, cv.ys, rng.uniform(0, 2 * math.pi), centre, h)
    cv.rgb *= (light * np.float32(rng.uniform(0.85, 1.08)))[..., None]
    grain = rng.standard_normal((h, w, 1), dtype=np.float32) * rng.uniform(1.5, 5)
    cv.rgb += grain * cv.alpha[..., None]


def _marks(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Coverage of hairline scratches and specks (anti-aliased by OpenCV directly: they
    are about a pixel wide, supersampling would add nothing)."""
    marks = np.zeros(shape, np.uint8)
    size = np.array(shape[::-1])
    for _ in range(int(rng.integers(0, 9))):
        p = rng.uniform(0.1, 0.9, 2) * size
        q = p + rng.uniform(-0.25, 0.25, 2) * size
        cv2.line(marks, _pt(p), _pt(q), round(rng.uniform(90, 220)), 1, cv2.LINE_AA, 4)
    for _ in range(int(rng.integers(0, 25))):
        at, r = _pt(rng.uniform(0.05, 0.95, 2) * size), round(rng.uniform(0.3, 1.2) * _FRAC)
        cv2.circle(marks, at, r, 160, -1, cv2.LINE_AA, 4)
    return marks.astype(np.float32) / 255


def _sign(index: int, spec: ClassSpec, variant: int, size: int) -> ProceduralCutout:
    rng = np.random.default_rng([_SIGN_SEED, index, variant])
    aspects, draw = _SIGN_SHAPES[spec.name]
    box, pole_end = _sign_layout(rng, size, rng.uniform(*aspects))
    x0, y0, w, h = box
    # Only the pixels around the sign are drawn; the rest of the cutout stays clear.
    left, top = math.floor(x0) - 1, math.floor(y0) - 1
    right, bottom = math.ceil(x0 + w) + 1, math.ceil(max(pole_end, y0 + h)) + 1
    cv = _Canvas((bottom - top, right - left), (left, top))
    if pole_end:
        _pole(cv, rng, box, pole_end)
    keypoints = draw(cv, box, variant, rng)
    _weather(cv, rng)
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[top:bottom, left:right] = cv.rgba()
    return ProceduralCutout(_frozen(rgba), keypoints)


@functools.lru_cache(maxsize=4)
def _sign_sets(variants: int, size: int) -> tuple[tuple[ProceduralCutout, ...], ...]:
    return tuple(
        tuple(_sign(i, spec, v, size) for v in range(variants))
        for i, spec in enumerate(TRAFFIC_SIGNS)
    )


def traffic_sign_cutouts(
    variants: int = SIGN_VARIANTS, size: int = 160
) -> dict[str, list[ProceduralCutout]]:
    """``variants`` cutouts of each class in TRAFFIC_SIGNS, each ``size`` x ``size``.

    Variants differ in face size and position, proportions, paint (fresh, faded, dirty),
    wear, lighting and an optional pole stub (part of the alpha; keypoints stay on the
    face). Keypoints are the face's centre and its extremes along its vertical and
    horizontal axes; for the inverted yield triangle, the top edge's midpoint, the lower
    apex and the upper corners (its centre is the centroid).

    >>> cutout = traffic_sign_cutouts(variants=1)["speed_limit"][0]
    >>> sorted(cutout.keypoints) == sorted(TRAFFIC_SIGNS[2].keypoints)
    True
    """
    _check(1, variants=variants)
    _check(48, size=size)  # smaller, and the text on the signs would be unreadable
    sets = _sign_sets(variants, size)
    return {spec.name: list(items) for spec, items in zip(TRAFFIC_SIGNS, sets, strict=True)}
