"""Helpers for tests: tiny assets and recipes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np


def write_rgba(path: Path, rgba: np.ndarray) -> None:
    cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))


def disc_cutout(size: int, colour: tuple[int, int, int], hole: int = 0) -> np.ndarray:
    """An anti-aliased disc (optionally a ring) on a transparent square."""
    alpha = np.zeros((size, size), np.uint8)
    c = size // 2
    cv2.circle(alpha, (c, c), size // 2 - 2, 255, -1, cv2.LINE_AA)
    if hole:
        cv2.circle(alpha, (c, c), hole, 0, -1, cv2.LINE_AA)
    rgb = np.zeros((size, size, 3), np.uint8)
    rgb[:] = colour
    rgb[: size // 3] //= 2  # some texture so blends and warps have something to move
    return np.dstack([rgb, alpha])


def base_recipe(**generator: Any) -> dict[str, Any]:
    gen = {
        "kind": "composite",
        "canvas": {"width": 160, "height": 120},
        "backgrounds": {"dir": "backgrounds"},
        "objects": {
            "source": {
                "dir": "cutouts",
                "classes": [
                    {
                        "name": "ring",
                        "keypoints": ["left", "right", "top"],
                        "flip_pairs": [["left", "right"]],
                    },
                    "square",
                ],
            },
            "count": [2, 4],
            "scale": [0.2, 0.4],
        },
    }
    gen.update(generator)
    return {
        "seed": 7,
        "num": 6,
        "generator": gen,
        "output": {"formats": ["coco", "yolo", "voc", "masks"]},
    }


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (symlinks as their target), for byte-identity checks."""
    import os

    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = os.readlink(path).encode()
        elif path.is_file():
            out[rel] = path.read_bytes()
    return out
