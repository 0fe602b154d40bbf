"""Unlabeled clutter cutouts (leaves, rocks, cones, bins, tyres...): the distractors."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import cv2
import numpy as np

from synthgen.generators.composite.procedural.raster import (
    _Canvas,
    _check,
    _f32,
    _frozen,
    _noise,
    _palette,
    _Point,
    _ramp,
    _rect,
    _shaded,
)

_CLUTTER_SEED = 0xC1077E
CLUTTER_COUNT = 24  # cutouts by default

# ------------------------------------------------------------------------------ clutter


def _blob(rng: np.random.Generator, centre: _Point, radii: _Point, rough: float) -> np.ndarray:
    """A closed irregular outline within an ellipse: random low harmonics in its radius."""
    t = np.linspace(0, 2 * math.pi, 72, endpoint=False)
    r = np.ones_like(t)
    for k in range(2, 8):
        r += rough * rng.uniform(0, 1) / k * np.cos(k * t + rng.uniform(0, 2 * math.pi))
    r /= r.max()
    return np.stack([centre[0] + radii[0] * r * np.cos(t), centre[1] + radii[1] * r * np.sin(t)], 1)


def _leaf(cv: _Canvas, rng: np.random.Generator, size: int) -> None:
    length = size * rng.uniform(0.55, 0.82)
    width = length * rng.uniform(0.28, 0.5)
    t = np.linspace(0, 1, 48)
    teeth = 1 + rng.uniform(0, 0.08) * np.abs(np.sin(t * math.pi * rng.integers(6, 14)))
    half = width / length / 2 * np.sin(math.pi * t) ** rng.uniform(0.6, 0.9) * (1 - 0.3 * t)
    outline = np.concatenate(
        [np.stack([t, half * teeth], 1), np.stack([t, -half * teeth], 1)[::-1]]
    )
    angle = rng.uniform(0, 2 * math.pi)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])

    def at(p: Sequence[float] | np.ndarray) -> np.ndarray:  # (along the midrib 0..1, across)
        return (np.asarray(p) - [0.46, 0]) * length @ rot.T + size / 2  # stem to tip, centred

    base = _palette("467d28 78962d c89628 be501e 78502d")[rng.integers(5)]
    along = np.clip(_ramp(cv.xs, cv.ys, angle, (size / 2, size / 2), length) + 0.5, 0, 1)
    colour = _shaded(base, 0.8 + 0.35 * along + 0.1 * _noise(rng, (size, size), 6))
    cv.paint(
        cv.mask().line(at([-0.08, 0]), at([0.02, 0]), max(1, 0.012 * length)).cover(), base * 0.6
    )
    cv.paint(cv.mask().poly(at(outline)).cover(), colour)
    veins = cv.mask().line(at([0, 0]), at([0.95, 0]), 1.0)
    for s in np.linspace(0.15, 0.75, int(rng.integers(4, 7))):
        veins.line(at([s, 0]), at([s + 0.16, 0.13]), 0.6).line(
            at([s, 0]), at([s + 0.16, -0.13]), 0.6
        )
    cv.tint(veins.cover() * 0.45, (235, 225, 160))


def _rock(cv: _Canvas, rng: np.random.Generator, size: int) -> None:
    r = size * rng.uniform(0.3, 0.44)
    c = (size / 2, size / 2 + r * 0.1)
    outline = _blob(rng, c, (r, r * rng.uniform(0.6, 0.85)), 0.6)
    outline[:, 1] = np.minimum(outline[:, 1], c[1] + r * 0.55)  # rests on a flat-ish base
    base = _palette("78746e 80705c 5a5a5e 8c8476")[rng.integers(4)]
    # Lit from the upper left like a dome, darker underneath, mottled.
    lit = 1 - np.sqrt((cv.xs - c[0] + 0.4 * r) ** 2 + (cv.ys - c[1] + 0.55 * r) ** 2) / (1.8 * r)
    under = np.clip((cv.ys - c[1]) / (0.6 * r), 0, 1)
    grain = 0.15 * _noise(rng, (size, size), 9) + 0.08 * _noise(rng, (size, size), 2.5)
    cv.paint(
        cv.mask().poly(outline).cover(),
        _shaded(base, np.clip(0.45 + 0.75 * lit - 0.3 * under + grain, 0.2, 1.3)),
    )
    cracks = cv.mask()
    for _ in range(int(rng.integers(0, 3))):
        pts = (
            np.array(c)
            + rng.uniform(-0.4, 0.4, 2) * r
            + np.cumsum(rng.uniform(-0.2, 0.2, (3, 2)) * r, 0)
        )
        cracks.line(pts[0], pts[1], 0.6).line(pts[1], pts[2], 0.6)
    cv.tint(cracks.cover() * 0.5, (40, 38, 36))
    speckle = np.clip(rng.random((size, size), dtype=np.float32) * 4 - 3.2, 0, 1)
    cv.tint(speckle * 0.5, (210, 205, 195) if rng.random() < 0.5 else (50, 48, 45))


def _bush(cv: _Canvas, rng: np.random.Generator, size: int) -> None:
    r = size * rng.uniform(0.32, 0.42)
    c = size / 2
    shade = np.zeros((size, size), np.float32)  # the shade of the topmost clump per pixel
    silhouette = cv.mask()
    for _ in range(int(rng.integers(22, 40))):
        a, d = rng.uniform(0, 2 * math.pi), math.sqrt(rng.uniform(0, 1))
        x, y = c + 0.75 * r * d * math.cos(a), min(c + 0.6 * r * d * math.sin(a), c + 0.45 * r)
        rr = r * rng.uniform(0.2, 0.38)
        silhouette.circle((x, y), rr)
        lit = 1.0 - 0.45 * (y - c + (x - c) * 0.5) / r + rng.uniform(-0.1, 0.1)
        cv2.circle(shade, (round(x), round(y)), round(rr), float(lit), -1)
    leaves = cv2.GaussianBlur(rng.uniform(0, 1, (size, size)).astype(np.float32), (0, 0), 0.8)
    shade = cv2.GaussianBlur(shade, (0, 0), 1.5) * (0.65 + 0.8 * leaves)
    base = _palette("37642a 466e23 2d5532 5f732d")[rng.integers(4)]
    cv.paint(silhouette.cover(), _shaded(base, np.clip(shade, 0.35, 1.5)))


def _cone(cv: _Canvas, rng: np.random.Generator, size: int) -> None:
    height = size * rng.uniform(0.7, 0.92)
    bw = height * rng.uniform(0.26, 0.34)
    cx, bottom = size / 2, size / 2 + height / 2
    top, tw, foot = bottom - height, bw * 0.22, bottom - height * 0.06
    tube = 0.6 + 0.55 * np.cos(np.clip((cv.xs - cx + 0.3 * bw) / (1.6 * bw), -1.4, 1.4))
    orange = _palette("f56914 eb500f fa821e")[rng.integers(3)]
    base = [
        (cx - 1.35 * bw, foot),
        (cx + 1.35 * bw, foot),
        (cx + 1.3 * bw, bottom),
        (cx - 1.3 * bw, bottom),
    ]
    cv.paint(cv.mask().poly(base).cover(), (35, 35, 37))
    body = [(cx - tw, top + tw), (cx + tw, top + tw), (cx + bw, foot), (cx - bw, foot)]
    cv.paint(cv.mask().poly(body).circle((cx, top + tw), tw).cover(), _shaded(orange, tube))
    bands = cv.mask()
    for lo, hi in ((0.3, 0.42), (0.55, 0.64))[: int(rng.integers(1, 3))]:
        a, b = tw + (bw - tw) * lo, tw + (bw - tw) * hi  # half widths at the band's edges
        y0, y1 = top + lo * height, top + hi * height
        bands.poly([(cx - a, y0), (cx + a, y0), (cx + b, y1), (cx - b, y1)])
    cv.tint(bands.cover(), _shaded((235, 235, 230), tube))


def _bin(cv: _Canvas, rng: np.random.Generator, size: int) -> None:
    h = size * rng.uniform(0.7, 0.9)
    w = h * rng.uniform(0.5, 0.65)
    cx, y0 = size / 2, size / 2 - h / 2
    colours = _palette("285f2d 464b50 234187 6e4628 262628")
    body_c = colours[rng.integers(5)]
    lid_c = body_c * 0.8 if rng.random() < 0.6 else colours[rng.integers(5)]
    tube = 0.75 + 0.35 * np.cos(np.clip((cv.xs - cx + 0.2 * w) / w * 2.2, -1.5, 1.5))
    wheel = 0.11 * h
    wheels = cv.mask().circle((cx - 0.36 * w, y0 + h - wheel), wheel)
    cv.paint(wheels.circle((cx + 0.36 * w, y0 + h - wheel), wheel).cover(), (22, 22, 24))
    low = y0 + h - 0.9 * wheel
    body = [
        (cx - w / 2, y0 + 0.1 * h),
        (cx + w / 2, y0 + 0.1 * h),
        (cx + 0.42 * w, low),
        (cx - 0.42 * w, low),
    ]
    cv.paint(cv.mask().poly(body).cover(), _shaded(body_c, tube))
    lid = _rect(cx - 0.54 * w, y0 + 0.02 * h, cx + 0.54 * w, y0 + 0.11 * h)
    cv.paint(cv.mask().poly(lid).cover(), _shaded(lid_c, tube * 1.1))
    ribs = cv.mask()
    for f in (-0.25, 0.0, 0.25):
        ribs.line((cx + f * w, y0 + 0.2 * h), (cx + f * 0.9 * w, y0 + 0.85 * h), 0.012 * w + 0.6)
    cv.tint(ribs.cover() * 0.5, body_c * 0.5)


def _box(cv: _Canvas, rng: np.random.Generator, size: int) -> None:
    w, h = size * rng.uniform(0.42, 0.6), size * rng.uniform(0.3, 0.5)
    d = size * rng.uniform(0.15, 0.25)
    dx, dy = d * math.cos(0.6), -d * math.sin(0.6)  # the receding edge, up and to the right
    x0, y0 = (size - w - dx) / 2, (size - h - dy) / 2
    base = _palette("be915f af8250 c8a573")[rng.integers(3)]
    grain = 1 + 0.05 * _noise(rng, (size, size), 8)
    front = _rect(x0, y0, x0 + w, y0 + h)
    top = [(x0, y0), (x0 + dx, y0 + dy), (x0 + w + dx, y0 + dy), (x0 + w, y0)]
    side = [(x0 + w, y0), (x0 + w + dx, y0 + dy), (x0 + w + dx, y0 + h + dy), (x0 + w, y0 + h)]
    for face, light in ((front, 1.0), (top, 1.15), (side, 0.75)):
        cv.paint(cv.mask().poly(face).cover(), _shaded(base, grain * light))
    tw, mid = w * rng.uniform(0.04, 0.07), x0 + w / 2
    tape = cv.mask().poly(
        [(mid - tw, y0), (mid + tw, y0), (mid + tw + dx, y0 + dy), (mid - tw + dx, y0 + dy)]
    )
    cv.tint(tape.poly(_rect(mid - tw, y0, mid + tw, y0 + 0.3 * h)).cover() * 0.5, (215, 190, 140))
    if rng.random() < 0.5:  # a shipping label
        lx, ly = x0 + w * rng.uniform(0.1, 0.3), y0 + h * rng.uniform(0.45, 0.6)
        cv.tint(cv.mask().poly(_rect(lx, ly, lx + 0.3 * w, ly + 0.25 * h)).cover(), (240, 240, 235))


def _tyre(cv: _Canvas, rng: np.random.Generator, size: int) -> None:
    r, inner = size * rng.uniform(0.34, 0.46), rng.uniform(0.55, 0.68)
    c = (size / 2, size / 2)
    squash, angle = rng.uniform(0.75, 1.0), rng.uniform(0, 180)  # seen a little from the side
    dist = np.sqrt((cv.xs - c[0]) ** 2 + (cv.ys - c[1]) ** 2)
    theta = np.arctan2(cv.ys - c[1], cv.xs - c[0])
    tread = 1 + 0.25 * (np.sin(theta * rng.integers(28, 44)) > 0) * (dist > 0.88 * r)
    light = 1 + 0.3 * _ramp(cv.xs, cv.ys, 4.0, c, r)
    hole = (inner * r, inner * r * squash)
    tyre = cv.mask().ellipse(c, (r, r * squash), angle).ellipse(c, hole, angle, 0)
    cv.paint(tyre.cover(), _shaded((34, 34, 36), tread * light))
    if rng.random() < 0.5:  # a steel rim with lightening holes; the background shows through
        rim = (
            cv.mask().ellipse(c, hole, angle).ellipse(c, (0.15 * hole[0], 0.15 * hole[1]), angle, 0)
        )
        for a in math.radians(angle) + np.arange(5) * 2 * math.pi / 5:
            at = (c[0] + 0.6 * hole[0] * math.cos(a), c[1] + 0.6 * hole[1] * math.sin(a))
            rim.circle(at, 0.2 * hole[0], 0)
        cv.paint(rim.cover(), _shaded((165, 168, 172), light))


def _hydrant(cv: _Canvas, rng: np.random.Generator, size: int) -> None:
    h = size * rng.uniform(0.72, 0.9)
    w = h * rng.uniform(0.3, 0.36)
    cx, y0 = size / 2, size / 2 - h / 2
    base = _palette("be1e1c e1b41e a0a5aa 285aa0")[rng.integers(4)]
    cap = base if rng.random() < 0.5 else _f32((235, 235, 230))
    tube = 0.6 + 0.55 * np.cos(np.clip((cv.xs - cx + 0.25 * w) / w * 1.8, -1.5, 1.5))

    def band(x: float, y: float, y1: float) -> list[_Point]:  # x is a half width
        return _rect(cx - x * w, y0 + y * h, cx + x * w, y0 + y1 * h)

    cv.paint(cv.mask().poly(band(0.85, 0.4, 0.53)).cover(), _shaded(cap, 0.9 * tube))  # nozzles
    body = (
        cv.mask().poly(band(0.5, 0.25, 0.92)).ellipse((cx, y0 + 0.25 * h), (0.5 * w, 0.17 * h), 0)
    )
    cv.paint(body.cover(), _shaded(base, tube))
    cv.paint(cv.mask().poly(band(0.11, 0.02, 0.1)).cover(), _shaded(cap, tube))  # the nut
    flanges = cv.mask().poly(band(0.68, 0.9, 0.98)).poly(band(0.62, 0.22, 0.27))
    cv.paint(flanges.cover(), _shaded(base, 0.8 * tube))
    cv.tint(np.clip(_noise(rng, (size, size), 5) - 0.3, 0, 1), (110, 70, 40))  # rust


_CLUTTER = (_leaf, _rock, _cone, _bush, _bin, _box, _tyre, _hydrant)


def _clutter(k: int, size: int) -> np.ndarray:
    rng = np.random.default_rng([_CLUTTER_SEED, k])
    cv = _Canvas((size, size))
    _CLUTTER[k % len(_CLUTTER)](cv, rng, size)
    cv.rgb *= np.float32(rng.uniform(0.85, 1.1))
    cv.rgb += rng.standard_normal((size, size, 1), dtype=np.float32) * 3 * cv.alpha[..., None]
    return _frozen(cv.rgba())


@functools.lru_cache(maxsize=4)
def _clutter_set(count: int, size: int) -> tuple[np.ndarray, ...]:
    return tuple(_clutter(k, size) for k in range(count))


def distractor_cutouts(count: int = CLUTTER_COUNT, size: int = 128) -> list[np.ndarray]:
    """``count`` unlabeled clutter cutouts, ``size`` x ``size`` RGBA uint8 (straight alpha):
    leaves, rocks, traffic cones, bushes, wheelie bins, cardboard boxes, tyres (some on a
    rim with holes the background shows through) and hydrants, in that repeating order.

    >>> distractor_cutouts(count=2)[1].shape
    (128, 128, 4)
    """
    _check(1, count=count)
    _check(32, size=size)
    return list(_clutter_set(count, size))
