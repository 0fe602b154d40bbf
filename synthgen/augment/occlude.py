"""Occlusion profile: unlabeled occluders pasted over labeled objects.

Each occluder targets one visible instance (chosen by rank among the visible ones, so the
plan is drawn before the image is loaded) and covers a share ``cover`` of that instance's
visible box from one side: a rectangle covers exactly that share of its columns or rows,
an ellipse or a random polygon fits inside the same strip. Occluder pixels become
background (0) in the instance map; the amodal masks stay whole, so each object's
visibility (visible / whole pixels), box and mask are derived again from the map, and an
object pushed below the minimum visibility is dropped from every format.

The occluder shows a solid colour with grain, or (``fill: patch``) pixels copied from
another part of the same image (which may show another object, unlabeled there).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal

import cv2
import numpy as np
from pydantic import Field

from synthgen.augment.base import Op, Step, draw_seed, rounded
from synthgen.config import FloatRange, IntRange, within
from synthgen.sample import Sample

SIDES = ("left", "right", "top", "bottom")
SHAPES = ("rect", "ellipse", "polygon")


class OccluderConfig(Op):
    family = "occlusion"
    op: Literal["occluder"] = "occluder"
    count: Annotated[IntRange, within(ge=1, le=20)] = Field(
        IntRange(min=1, max=2), description="occluders per image"
    )
    cover: Annotated[FloatRange, within(gt=0, le=1)] = Field(
        FloatRange(min=0.3, max=0.6), description="share of the target's box covered, from a side"
    )
    shape: Literal["rect", "ellipse", "polygon", "any"] = "any"
    fill: Literal["solid", "patch", "any"] = "solid"

    def draw(self, rng: np.random.Generator) -> Step:
        items = []
        for _ in range(self.count.sample(rng)):
            shape = SHAPES[int(rng.integers(3))] if self.shape == "any" else self.shape
            fill = ("solid", "patch")[int(rng.integers(2))] if self.fill == "any" else self.fill
            items.append(
                {
                    "target": rounded(rng.random()),
                    "side": SIDES[int(rng.integers(4))],
                    "cover": rounded(self.cover.sample(rng)),
                    "shape": shape,
                    "fill": fill,
                    "colour": [int(v) for v in rng.integers(0, 256, 3)],
                    "offset": [rounded(rng.uniform(0.2, 0.8)), rounded(rng.uniform(0.2, 0.8))],
                    "seed": draw_seed(rng),
                }
            )
        return {"op": self.op, "occluders": items}


def strip(box: tuple[int, int, int, int], side: str, cover: float) -> tuple[int, int, int, int]:
    """The part of ``box`` (x0, y0, x1, y1) that a share ``cover`` from ``side`` covers.

    >>> strip((10, 0, 30, 10), "left", 0.5)
    (10, 0, 20, 10)
    """
    x0, y0, x1, y1 = box
    dx, dy = max(1, round((x1 - x0) * cover)), max(1, round((y1 - y0) * cover))
    return {
        "left": (x0, y0, x0 + dx, y1),
        "right": (x1 - dx, y0, x1, y1),
        "top": (x0, y0, x1, y0 + dy),
        "bottom": (x0, y1 - dy, x1, y1),
    }[side]


def _shape_mask(region: tuple[int, int, int, int], item: Step, h: int, w: int) -> np.ndarray:
    x0, y0, x1, y1 = region
    mask = np.zeros((h, w), np.uint8)
    if item["shape"] == "rect":
        mask[y0:y1, x0:x1] = 1
    elif item["shape"] == "ellipse":
        # Integer centre and axes on pixel edges' midpoints: the ellipse fits the strip.
        centre = ((x0 + x1 - 1) // 2, (y0 + y1 - 1) // 2)
        axes = (max(0, (x1 - x0 - 1) // 2), max(0, (y1 - y0 - 1) // 2))
        cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, thickness=-1)
    else:
        rng = np.random.default_rng(item["seed"])
        angles = np.sort(rng.uniform(0, 2 * np.pi, 7))
        radii = rng.uniform(0.6, 1.0, 7)
        cx, cy, rx, ry = (x0 + x1 - 1) / 2, (y0 + y1 - 1) / 2, (x1 - x0 - 1) / 2, (y1 - y0 - 1) / 2
        pts = np.stack([cx + rx * radii * np.cos(angles), cy + ry * radii * np.sin(angles)], 1)
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool)


def apply_occluders(sample: Sample, step: Step) -> Sample:
    """Pastes the step's occluders in order; later ones may cover earlier ones."""
    image, imap = sample.image.copy(), sample.instance_map.copy()
    depth = None if sample.depth is None else sample.depth.copy()
    h, w = imap.shape
    for item in step["occluders"]:
        ids = [inst.id for inst in sample.instances if inst.id in _present(imap)]
        if not ids:
            break
        target = ids[min(int(item["target"] * len(ids)), len(ids) - 1)]
        ys, xs = np.nonzero(imap == target)
        box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        mask = _shape_mask(strip(box, item["side"], item["cover"]), item, h, w)
        if item["fill"] == "patch":
            dx, dy = round(item["offset"][0] * w), round(item["offset"][1] * h)
            image[mask] = np.roll(image, (dy, dx), axis=(0, 1))[mask]
        else:
            grain = np.random.default_rng(item["seed"]).normal(0, 8, (int(mask.sum()), 1))
            colour = np.asarray(item["colour"], np.float64)[None, :] + grain
            image[mask] = np.clip(np.round(colour), 0, 255).astype(np.uint8)
        if depth is not None:
            # The occluder stands in front of what it hides.
            seen = depth[mask & (depth > 0)]
            depth[mask] = 0.5 * float(seen.min()) if seen.size else 0.0
        imap[mask] = 0
    # Hidden pixels change the labels: none keeps its source label.
    instances = [replace(inst, source=None) for inst in sample.instances]
    return Sample(image, imap, instances, plan=sample.plan, depth=depth, camera=sample.camera)


def _present(imap: np.ndarray) -> set[int]:
    return {int(v) for v in np.unique(imap) if v}
