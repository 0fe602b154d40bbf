"""Procedural page graphics: logos, ID photos, signatures, stamps and check boxes.

Each is drawn from its seed alone into a colour patch and an anti-aliased alpha; the
renderer blends it and labels the pixels where alpha > 0. None of them contains letters,
so no unlabeled text reaches the page.
"""

from __future__ import annotations

import cv2
import numpy as np

Patch = tuple[np.ndarray, np.ndarray]  # (h, w, 3) uint8 colour, (h, w) uint8 alpha

_PALETTE = np.array(
    [(200, 40, 40), (30, 90, 180), (20, 130, 80), (230, 140, 20), (110, 50, 150), (40, 40, 40)]
)
_SKIN = [(241, 194, 167), (224, 172, 130), (198, 134, 96), (141, 85, 54), (94, 58, 38)]
_AA = cv2.LINE_AA


def draw(kind: str, w: int, h: int, seed: int, ink: tuple[int, int, int]) -> Patch:
    """The graphic ``kind`` at w x h pixels."""
    rng = np.random.default_rng(seed)
    maker = {
        "logo": _logo,
        "photo": _photo,
        "signature": _signature,
        "stamp": _stamp,
        "checkbox": _checkbox,
        "checkbox_checked": _checkbox,
    }[kind]
    return maker(w, h, rng, ink, kind)


def _solid(w: int, h: int, colour: np.ndarray | tuple[int, ...], alpha: np.ndarray) -> Patch:
    rgb = np.empty((h, w, 3), np.uint8)
    rgb[:] = np.asarray(colour, np.uint8)
    return rgb, alpha


def _logo(w: int, h: int, rng: np.random.Generator, ink: tuple[int, int, int], _: str) -> Patch:
    alpha = np.zeros((h, w), np.uint8)
    side = min(w, h)
    cx, cy, r = side // 2, h // 2, int(side * rng.uniform(0.35, 0.48))
    shape = int(rng.integers(3))
    if shape == 0:
        cv2.circle(alpha, (cx, cy), r, 255, -1, _AA)
        cv2.circle(alpha, (cx, cy), int(r * 0.55), 0, -1, _AA)
    elif shape == 1:
        pts = np.array([(cx, cy - r), (cx + r, cy + r), (cx - r, cy + r)], np.int32)
        cv2.fillPoly(alpha, [pts], 255, _AA)
    else:
        cv2.rectangle(alpha, (cx - r, cy - r), (cx + r, cy + r), 255, -1, _AA)
        cv2.circle(alpha, (cx, cy), int(r * 0.5), 0, -1, _AA)
    # A bar mark beside the emblem, as company logos often have.
    bars = int(rng.integers(1, 4))
    x = side + max(2, side // 8)
    for k in range(bars):
        y0 = cy - r + k * (2 * r // max(bars, 1))
        cv2.rectangle(alpha, (x, y0), (w - 2, y0 + max(2, r // 3)), 255, -1)
    return _solid(w, h, _PALETTE[int(rng.integers(len(_PALETTE)))], alpha)


def _photo(w: int, h: int, rng: np.random.Generator, ink: tuple[int, int, int], _: str) -> Patch:
    rgb = np.empty((h, w, 3), np.uint8)
    rgb[:] = rng.integers(170, 235, 3).astype(np.uint8)
    skin = _SKIN[int(rng.integers(len(_SKIN)))]
    cloth = tuple(int(v) for v in rng.integers(20, 120, 3))
    cv2.ellipse(rgb, (w // 2, h + h // 6), (w // 2, h // 2), 0, 180, 360, cloth, -1, _AA)
    cv2.ellipse(
        rgb, (w // 2, int(h * 0.42)), (int(w * 0.22), int(h * 0.26)), 0, 0, 360, skin, -1, _AA
    )
    return rgb, np.full((h, w), 255, np.uint8)


def _signature(
    w: int, h: int, rng: np.random.Generator, ink: tuple[int, int, int], _: str
) -> Patch:
    alpha = np.zeros((h, w), np.uint8)
    t = np.linspace(0, 1, 200)
    loops = rng.uniform(3, 7)
    x = 0.05 + 0.9 * t + 0.04 * np.sin(2 * np.pi * loops * t + rng.uniform(0, 6))
    y = 0.5 + 0.3 * np.sin(2 * np.pi * loops * 1.7 * t) * rng.uniform(0.5, 1) * (1 - 0.5 * t)
    pts = np.stack([x * (w - 1), y * (h - 1)], 1).round().astype(np.int32)
    cv2.polylines(alpha, [pts], False, 255, max(1, h // 20), _AA)
    colour = (20, 40, 140) if rng.random() < 0.6 else ink
    return _solid(w, h, colour, alpha)


def _stamp(w: int, h: int, rng: np.random.Generator, ink: tuple[int, int, int], _: str) -> Patch:
    alpha = np.zeros((h, w), np.uint8)
    t = max(2, min(w, h) // 18)
    cv2.rectangle(alpha, (t, t), (w - 1 - t, h - 1 - t), 255, t, _AA)
    cv2.rectangle(alpha, (3 * t, 3 * t), (w - 1 - 3 * t, h - 1 - 3 * t), 255, max(1, t // 2), _AA)
    for k in range(int(rng.integers(3, 7))):  # a star row: a stamp's emblem, no letters
        cx = int((k + 1) * w / 8)
        cv2.drawMarker(
            alpha, (cx, h // 2), 255, cv2.MARKER_STAR, max(3, h // 5), max(1, t // 2), _AA
        )
    alpha = (alpha.astype(np.float32) * rng.uniform(0.55, 0.85)).astype(np.uint8)
    colours = [(200, 30, 40), (40, 60, 170), (120, 40, 140)]
    return _solid(w, h, colours[int(rng.integers(len(colours)))], alpha)


def _checkbox(
    w: int, h: int, rng: np.random.Generator, ink: tuple[int, int, int], kind: str
) -> Patch:
    alpha = np.zeros((h, w), np.uint8)
    t = max(1, w // 12)
    cv2.rectangle(alpha, (0, 0), (w - 1, h - 1), 255, t)
    if kind == "checkbox_checked":
        m = 2 * t + 1
        cv2.line(alpha, (m, m), (w - 1 - m, h - 1 - m), 255, t + 1, _AA)
        cv2.line(alpha, (m, h - 1 - m), (w - 1 - m, m), 255, t + 1, _AA)
    return _solid(w, h, ink, alpha)
