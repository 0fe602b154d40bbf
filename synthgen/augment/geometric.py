"""Geometric profiles: hflip, rotate, perspective, crop, scale_down.

Each step becomes one 3x3 homography ``H`` on OpenCV pixel-centre coordinates and an
output size. :func:`warp_sample` then moves everything with that one matrix: the image
bilinearly, the instance map and depth nearest-neighbour, every instance's amodal mask
nearest-neighbour (the part leaving the image is kept, so truncation stays known), and
keypoints exactly. Boxes are never moved: labels are derived afterwards from the warped
instance map and masks (:func:`synthgen.labels.derive_labels`).

Boxes-only instances (``Instance.box_only``) have their box as their mask; it is warped
like any mask, so their new box is the tight box of the warped rectangle: every pixel the
old box covered stays inside the new one (conservative: a rotated box grows). They stay
flagged ``box_only``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Annotated, Any, Literal

import cv2
import numpy as np
from pydantic import Field

from synthgen.augment.base import Op, Step, rounded
from synthgen.config import FloatRange, within
from synthgen.geometry import bbox_xyxy
from synthgen.imageops import Size, warp_ids, warp_image
from synthgen.sample import Category, Instance, Sample

RGB = tuple[
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
]


class _Geometric(Op):
    family = "geometric"
    fill: RGB = Field((0, 0, 0), description="RGB colour where the image has no pixel")


class HFlipConfig(_Geometric):
    """Mirror left to right; keypoints of left/right pairs swap names."""

    op: Literal["hflip"] = "hflip"

    def draw(self, rng: np.random.Generator) -> Step:
        return {"op": self.op}


class RotateConfig(_Geometric):
    """Rotation about the image centre; the canvas keeps its size (corners truncate)."""

    op: Literal["rotate"] = "rotate"
    degrees: Annotated[FloatRange, within(ge=-180, le=180)] = Field(
        FloatRange(min=-15.0, max=15.0), description="angle, counter-clockwise"
    )

    def draw(self, rng: np.random.Generator) -> Step:
        return {"op": self.op, "degrees": rounded(self.degrees.sample(rng)), "fill": [*self.fill]}


class PerspectiveConfig(_Geometric):
    """Each image corner moves by up to ``strength`` of the width/height, in or out."""

    op: Literal["perspective"] = "perspective"
    strength: Annotated[FloatRange, within(ge=0, le=0.3)] = Field(
        FloatRange(min=0.02, max=0.1), description="largest corner shift, fraction of the size"
    )

    def draw(self, rng: np.random.Generator) -> Step:
        s = self.strength.sample(rng)
        shifts = [[rounded(rng.uniform(-s, s)), rounded(rng.uniform(-s, s))] for _ in range(4)]
        return {"op": self.op, "corners": shifts, "fill": [*self.fill]}


class CropConfig(_Geometric):
    """A window of the image (its own size): objects cut by its border are truncated."""

    op: Literal["crop"] = "crop"
    size: Annotated[FloatRange, within(gt=0, le=1)] = Field(
        FloatRange(min=0.5, max=0.9), description="window side, fraction of the image side"
    )

    def draw(self, rng: np.random.Generator) -> Step:
        return {
            "op": self.op,
            "size": [rounded(self.size.sample(rng)), rounded(self.size.sample(rng))],
            "at": [rounded(rng.random()), rounded(rng.random())],
        }


class ScaleDownConfig(_Geometric):
    """The image shrunk by ``factor`` onto a canvas of its size: small objects."""

    op: Literal["scale_down"] = "scale_down"
    factor: Annotated[FloatRange, within(gt=0, le=1)] = Field(
        FloatRange(min=0.25, max=0.6), description="scale of the shrunk image"
    )

    def draw(self, rng: np.random.Generator) -> Step:
        return {
            "op": self.op,
            "factor": rounded(self.factor.sample(rng)),
            "at": [rounded(rng.random()), rounded(rng.random())],
            "fill": [*self.fill],
        }


def corners(w: int, h: int) -> np.ndarray:
    """The image's outer corners in pixel-centre coordinates (TL, TR, BR, BL), float32."""
    return np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]], "f4")


def step_matrix(step: Step, w: int, h: int) -> tuple[np.ndarray, Size]:
    """The homography and output size of a geometric step on a w x h image."""
    op = step["op"]
    if op == "hflip":
        return np.array([[-1.0, 0.0, w - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), (w, h)
    if op == "rotate":
        mat = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), step["degrees"], 1.0)
        return np.vstack([mat, [0.0, 0.0, 1.0]]), (w, h)
    if op == "perspective":
        src = corners(w, h)
        dst = src + np.asarray(step["corners"], "f4") * np.array([w, h], "f4")
        return cv2.getPerspectiveTransform(src, dst).astype(np.float64), (w, h)
    if op == "crop":
        cw = min(w, max(1, round(w * step["size"][0])))
        ch = min(h, max(1, round(h * step["size"][1])))
        x0, y0 = round(step["at"][0] * (w - cw)), round(step["at"][1] * (h - ch))
        return np.array([[1.0, 0, -x0], [0, 1.0, -y0], [0, 0, 1.0]]), (cw, ch)
    if op == "scale_down":
        nw, nh = max(1, round(w * step["factor"])), max(1, round(h * step["factor"]))
        fx, fy = nw / w, nh / h
        x0, y0 = round(step["at"][0] * (w - nw)), round(step["at"][1] * (h - nh))
        # Pixel edges map to pixel edges: x' + 0.5 = fx * (x + 0.5) + x0 (as cv2.resize).
        return np.array(
            [[fx, 0, fx * 0.5 - 0.5 + x0], [0, fy, fy * 0.5 - 0.5 + y0], [0, 0, 1.0]]
        ), (w, h)
    raise ValueError(f"not a geometric op: {op!r}")


def apply_geometric(sample: Sample, step: Step, categories: dict[str, Category]) -> Sample:
    """One geometric step on a whole Sample (image, map, depth, instances, keypoints)."""
    h, w = sample.instance_map.shape
    mat, size = step_matrix(step, w, h)
    fill = step.get("fill", (0, 0, 0))
    image = None
    if step["op"] == "hflip":
        image = np.ascontiguousarray(sample.image[:, ::-1])
    elif step["op"] == "scale_down":
        # Area averaging for the image (a warp would alias); the map follows the same
        # pixel-edge mapping nearest-neighbour.
        nw, nh = max(1, round(w * step["factor"])), max(1, round(h * step["factor"]))
        x0, y0 = round(step["at"][0] * (w - nw)), round(step["at"][1] * (h - nh))
        image = np.empty_like(sample.image)
        image[:] = np.asarray(fill, np.uint8)
        image[y0 : y0 + nh, x0 : x0 + nw] = cv2.resize(
            sample.image, (nw, nh), interpolation=cv2.INTER_AREA
        )
    swap = _swaps(categories) if step["op"] == "hflip" else {}
    return warp_sample(sample, mat, size, fill, image=image, swap=swap)


def warp_sample(
    sample: Sample,
    mat: np.ndarray,
    size: Size,
    fill: Any = (0, 0, 0),
    *,
    image: np.ndarray | None = None,
    swap: dict[str, np.ndarray] | None = None,
) -> Sample:
    """``sample`` moved by the homography ``mat`` onto a ``size`` (w, h) canvas.

    ``image``: the warped image when the caller made it another way (a flip, an area
    resize); ``swap``: per category, the keypoint order after a mirror. Instances that
    leave the image entirely (no amodal pixel left inside it) are dropped; the others lose
    their source label, so their labels are derived from the moved pixels.
    """
    if image is None:
        image = warp_image(sample.image, mat, size, fill)
    imap = warp_ids(sample.instance_map, mat, size)
    depth = None
    if sample.depth is not None:
        depth = cv2.warpPerspective(
            sample.depth, mat, size, flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT
        )
    instances = []
    for inst in sample.instances:
        moved = _warp_instance(inst, mat, imap, size, (swap or {}).get(inst.category))
        if moved is not None:
            instances.append(moved)
    kept = {inst.id for inst in instances}
    lost = [inst.id for inst in sample.instances if inst.id not in kept]
    if lost:
        imap[np.isin(imap, lost)] = 0
    # A warp has no camera model: 3D pose and K no longer describe the image.
    return Sample(image, imap, instances, plan=sample.plan, depth=depth)


def _warp_instance(
    inst: Instance, mat: np.ndarray, imap: np.ndarray, size: Size, order: np.ndarray | None
) -> Instance | None:
    keypoints = inst.keypoints
    if keypoints is not None:
        # Keypoints are continuous coordinates (pixel x covers [x, x+1)); H is on centres.
        pts = (keypoints.astype(np.float64) - 0.5).reshape(-1, 1, 2)
        absent = ~np.isfinite(keypoints).all(axis=1)
        keypoints = cv2.perspectiveTransform(pts, mat).reshape(-1, 2) + 0.5
        keypoints[absent] = np.nan  # OpenCV maps NaN to 0: a missing keypoint stays missing
        if order is not None:
            keypoints = keypoints[order]
    depth = inst.keypoint_depth
    if depth is not None and order is not None:
        depth = depth[order]
    moved = replace(
        inst, keypoints=keypoints, keypoint_depth=depth, source=None, pose=None, bounds=None
    )
    if inst.amodal_mask is None:
        return moved if np.any(imap == inst.id) else None
    mask, origin = _warp_mask(inst, mat, imap, size)
    if mask is None:
        return None
    moved.amodal_mask, moved.amodal_origin = mask, origin
    return moved


def _warp_mask(
    inst: Instance, mat: np.ndarray, imap: np.ndarray, size: Size
) -> tuple[np.ndarray | None, tuple[int, int]]:
    """The amodal mask warped into a patch that may leave the image (truncation), with
    the instance's visible pixels in the warped map added (rounding ties at the edge must
    not make visible pixels that the whole object lacks)."""
    assert inst.amodal_mask is not None
    w, h = size
    ox, oy = inst.amodal_origin
    ph, pw = inst.amodal_mask.shape
    box = np.array(
        [[[ox - 0.5, oy - 0.5], [ox + pw - 0.5, oy - 0.5], [ox + pw - 0.5, oy + ph - 0.5],
          [ox - 0.5, oy + ph - 0.5]]],
        np.float64,
    )  # fmt: skip
    x, y = cv2.perspectiveTransform(box, mat)[0].T
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return None, (0, 0)
    # Off-image parts are kept up to one image size beyond each border (enough for
    # truncation; a perspective can throw a far corner arbitrarily far).
    x0, x1 = max(math.floor(x.min() + 0.5) - 1, -w), min(math.ceil(x.max() + 0.5) + 1, 2 * w)
    y0, y1 = max(math.floor(y.min() + 0.5) - 1, -h), min(math.ceil(y.max() + 0.5) + 1, 2 * h)
    if x1 <= x0 or y1 <= y0:
        return None, (0, 0)
    shift = np.array([[1.0, 0, -x0], [0, 1.0, -y0], [0, 0, 1.0]])
    into = np.array([[1.0, 0, ox], [0, 1.0, oy], [0, 0, 1.0]])
    patch = cv2.warpPerspective(
        np.ascontiguousarray(inst.amodal_mask, dtype=np.uint8),
        shift @ mat @ into,
        (x1 - x0, y1 - y0),
        flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    ).astype(bool)
    ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if ix0 < ix1 and iy0 < iy1:
        patch[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] |= imap[iy0:iy1, ix0:ix1] == inst.id
    tight = bbox_xyxy(patch)
    if tight is None:
        return None, (0, 0)
    bx0, by0, bx1, by1 = tight
    if not (x0 + bx1 > 0 and y0 + by1 > 0 and x0 + bx0 < w and y0 + by0 < h):
        return None, (0, 0)  # wholly outside the image
    return patch[by0:by1, bx0:bx1], (x0 + bx0, y0 + by0)


def _swaps(categories: dict[str, Category]) -> dict[str, np.ndarray]:
    """Per category with keypoints: the row order after a mirror (left <-> right)."""
    out = {}
    for name, cat in categories.items():
        if not cat.keypoints:
            continue
        index = {k: i for i, k in enumerate(cat.keypoints)}
        order = np.arange(len(cat.keypoints))
        for left, right in cat.flip_pairs:
            if left in index and right in index:
                order[index[left]], order[index[right]] = index[right], index[left]
        out[name] = order
    return out
