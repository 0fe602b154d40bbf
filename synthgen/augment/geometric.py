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
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

import cv2
import numpy as np
from pydantic import Field

from synthgen.augment.base import Op, Step, rounded
from synthgen.config import FloatRange, within
from synthgen.geometry import bbox_xyxy
from synthgen.imageops import Size, warp_array, warp_ids, warp_image
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
    return apply_geometric_run(sample, [step], categories)


@dataclass
class Warp:
    """Consecutive geometric steps folded into one homography ``mat`` from a ``source``
    (w, h) canvas onto a ``size`` canvas; ``flips`` counts the mirrors in it (keypoint
    pairs swap once per mirror); ``step`` is set for a ``scale_down``, which stays alone
    (its image is area-resized, not warped)."""

    mat: np.ndarray
    source: Size
    size: Size
    fill: Any
    flips: int = 0
    step: Step | None = None


def plan_warps(steps: list[Step], w: int, h: int) -> list[Warp]:
    """Folds consecutive geometric steps into as few warps as give the same result.

    A step joins the warp before it when warping once cannot differ from warping twice
    beyond resampling: the warp so far maps its canvas exactly onto itself (mirrors),
    or the step samples only inside the canvas the warp so far made (a crop, a mirror, a
    perspective that zooms in), so no pixel that the first warp filled comes back.

    >>> rotate = {"op": "rotate", "degrees": 10.0}
    >>> [w.flips for w in plan_warps([{"op": "hflip"}, rotate, {"op": "hflip"}], 4, 3)]
    [2]
    >>> len(plan_warps([rotate, rotate], 4, 3))  # the second would bring back filled corners
    2
    """
    warps: list[Warp] = []
    for step in steps:
        mat, size = step_matrix(step, w, h)
        fill = step.get("fill", (0, 0, 0))
        flips = int(step["op"] == "hflip")
        last = warps[-1] if warps else None
        if step["op"] != "scale_down" and last is not None and last.step is None:
            if _symmetry(last.mat, last.source, last.size):
                last.fill = fill if "fill" in step else last.fill
            elif not _samples_inside(mat, (w, h), size):
                last = None
            if last is not None:
                last.mat, last.size, last.flips = mat @ last.mat, size, last.flips + flips
                w, h = size
                continue
        warps.append(
            Warp(mat, (w, h), size, fill, flips, step if step["op"] == "scale_down" else None)
        )
        w, h = size
    return warps


def apply_geometric_run(
    sample: Sample, steps: list[Step], categories: dict[str, Category]
) -> Sample:
    """Consecutive geometric steps, folded by :func:`plan_warps` (each fold warped once;
    a mirror or a crop alone is moved by slicing, exactly as its warp would)."""
    swaps = _swaps(categories) if any(s["op"] == "hflip" for s in steps) else {}
    for warp in plan_warps(steps, sample.width, sample.height):
        swap = {k: _power(order, warp.flips) for k, order in swaps.items()} if warp.flips else {}
        if warp.step is not None:
            sample = _scale_down(sample, warp, swap)
        elif _axis_aligned(warp.mat) is not None:
            sample = shift_sample(sample, warp.mat, warp.size, warp.fill, swap=swap)
        else:
            sample = warp_sample(sample, warp.mat, warp.size, warp.fill, swap=swap)
    return sample


def _scale_down(sample: Sample, warp: Warp, swap: dict[str, np.ndarray]) -> Sample:
    # Area averaging for the image (a warp would alias); the map follows the same
    # pixel-edge mapping nearest-neighbour.
    assert warp.step is not None
    (w, h), factor, at = warp.source, warp.step["factor"], warp.step["at"]
    nw, nh = max(1, round(w * factor)), max(1, round(h * factor))
    x0, y0 = round(at[0] * (w - nw)), round(at[1] * (h - nh))
    image = np.empty_like(sample.image)
    image[:] = np.asarray(warp.fill, np.uint8)
    image[y0 : y0 + nh, x0 : x0 + nw] = cv2.resize(
        sample.image, (nw, nh), interpolation=cv2.INTER_AREA
    )
    return warp_sample(sample, warp.mat, warp.size, warp.fill, image=image, swap=swap)


def _power(order: np.ndarray, times: int) -> np.ndarray:
    out = np.arange(len(order))
    for _ in range(times):
        out = out[order]
    return out


def _symmetry(mat: np.ndarray, source: Size, size: Size) -> bool:
    """Whether ``mat`` maps the source canvas exactly onto the output canvas (mirrors)."""
    axes = _axis_aligned(mat)
    if source != size or axes is None:
        return False
    # x' = sx x + tx maps [-0.5, w - 0.5] onto itself when tx is 0 (sx = 1) or w - 1.
    sx, sy, tx, ty = axes
    w, h = size
    return tx == (0 if sx == 1 else w - 1) and ty == (0 if sy == 1 else h - 1)


def _samples_inside(mat: np.ndarray, source: Size, size: Size) -> bool:
    """Whether every output pixel of ``mat`` comes from inside the source canvas."""
    inv = np.linalg.inv(mat)
    pts = np.hstack([corners(*size).astype(np.float64), np.ones((4, 1))]) @ inv.T
    if not np.all(pts[:, 2] > 1e-9):
        return False  # the output reaches the horizon of a perspective
    x, y = pts[:, 0] / pts[:, 2], pts[:, 1] / pts[:, 2]
    w, h = source
    eps = 1e-6
    return bool(
        np.all(x >= -0.5 - eps) and np.all(x <= w - 0.5 + eps)
        and np.all(y >= -0.5 - eps) and np.all(y <= h - 0.5 + eps)
    )  # fmt: skip


def _axis_aligned(mat: np.ndarray) -> tuple[int, int, int, int] | None:
    """(sx, sy, tx, ty) when ``mat`` is x' = sx x + tx, y' = sy y + ty with sx, sy = +-1
    and whole-pixel tx, ty (mirrors and crops: pixels move without resampling)."""
    (a, b, tx), (c, d, ty), (e, f, _) = (mat / mat[2, 2]).tolist()  # plain floats: fast
    if abs(b) + abs(c) + abs(e) + abs(f) > 1e-9 or abs(abs(a) - 1) + abs(abs(d) - 1) > 1e-9:
        return None
    if abs(tx - round(tx)) + abs(ty - round(ty)) > 1e-9:
        return None
    return round(a), round(d), round(tx), round(ty)


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

    ``image``: the warped image when the caller made it another way (an area resize);
    ``swap``: per category, the keypoint order after a mirror. Instances that leave the
    image entirely (no amodal pixel left inside it) are dropped; the others lose their
    source label, so their labels are derived from the moved pixels.
    """
    if image is None:
        image = warp_image(sample.image, mat, size, fill)
    imap = warp_ids(sample.instance_map, mat, size)
    depth = None
    if sample.depth is not None:
        depth = warp_array(sample.depth, mat, size, cv2.INTER_NEAREST)
    return _moved(sample, mat, image, imap, depth, swap, _warp_mask)


def shift_sample(
    sample: Sample,
    mat: np.ndarray,
    size: Size,
    fill: Any = (0, 0, 0),
    *,
    swap: dict[str, np.ndarray] | None = None,
) -> Sample:
    """:func:`warp_sample` for a ``mat`` that only mirrors and shifts by whole pixels (a
    flip, a crop): every array is sliced, not resampled, with the same result as the warp
    (a pixel centre lands on a pixel centre) at a fraction of the cost."""
    axes = _axis_aligned(mat)
    if axes is None:
        raise ValueError(f"not a mirror or whole-pixel shift: {mat.tolist()}")
    image = _shift(sample.image, axes, size, fill)
    imap = _shift(sample.instance_map, axes, size, 0)
    depth = None if sample.depth is None else _shift(sample.depth, axes, size, 0)
    return _moved(sample, mat, image, imap, depth, swap, _shift_mask)


MoveMask = Callable[
    [Instance, np.ndarray, np.ndarray, Size], tuple[np.ndarray | None, tuple[int, int]]
]


def _moved(
    sample: Sample,
    mat: np.ndarray,
    image: np.ndarray,
    imap: np.ndarray,
    depth: np.ndarray | None,
    swap: dict[str, np.ndarray] | None,
    move_mask: MoveMask,
) -> Sample:
    """The moved Sample: instances moved by ``move_mask``, the lost ones off the map."""
    size = (imap.shape[1], imap.shape[0])
    instances = []
    for inst in sample.instances:
        moved = _warp_instance(inst, mat, imap, size, (swap or {}).get(inst.category), move_mask)
        if moved is not None:
            instances.append(moved)
    if len(instances) < len(sample.instances):
        kept = {inst.id for inst in instances}
        lost = [inst.id for inst in sample.instances if inst.id not in kept]
        imap[np.isin(imap, lost)] = 0
    # A warp has no camera model: 3D pose and K no longer describe the image.
    return Sample(image, imap, instances, plan=sample.plan, depth=depth)


def _shift(array: np.ndarray, axes: tuple[int, int, int, int], size: Size, fill: Any) -> np.ndarray:
    """``array`` mirrored and shifted onto a ``size`` canvas, ``fill`` where it has no pixel."""
    sx, sy, tx, ty = axes
    (xs, src_x), (ys, src_y) = (
        _span(array.shape[1], size[0], sx, tx),
        _span(array.shape[0], size[1], sy, ty),
    )
    part = array[src_y, src_x]
    flip = {(-1, 1): 1, (1, -1): 0, (-1, -1): -1}.get((sx, sy))
    if flip is not None and part.size:
        # cv2.flip is ~50x faster than numpy's copy of a reversed 3-channel view.
        part = cv2.flip(np.ascontiguousarray(part), flip)
    w, h = size
    if (xs.stop - xs.start, ys.stop - ys.start) == (w, h):
        # Never a view of the source: the source Sample is reused for its next copy, and
        # the moved map is edited in place when an instance is lost.
        return part if flip is not None else part.copy()
    out = np.empty((h, w, *array.shape[2:]), array.dtype)
    out[:] = np.asarray(fill, array.dtype)
    out[ys, xs] = part
    return out


def _span(n_src: int, n_out: int, s: int, t: int) -> tuple[slice, slice]:
    """Output and source index ranges along one axis for x' = s x + t (s = +-1)."""
    if s == 1:
        a, b = max(0, t), min(n_out, n_src + t)
        b = max(a, b)
        return slice(a, b), slice(a - t, b - t)
    a, b = max(0, t - n_src + 1), min(n_out, t + 1)
    b = max(a, b)
    return slice(a, b), slice(t - b + 1, t - a + 1)


def _warp_instance(
    inst: Instance,
    mat: np.ndarray,
    imap: np.ndarray,
    size: Size,
    order: np.ndarray | None,
    move_mask: MoveMask,
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
    mask, origin = move_mask(inst, mat, imap, size)
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
    x, y = cv2.perspectiveTransform(box, mat)[0].T.tolist()  # plain floats: fast
    if not all(map(math.isfinite, x + y)):
        return None, (0, 0)
    # Off-image parts are kept up to one image size beyond each border (enough for
    # truncation; a perspective can throw a far corner arbitrarily far).
    x0, x1 = max(math.floor(min(x) + 0.5) - 1, -w), min(math.ceil(max(x) + 0.5) + 1, 2 * w)
    y0, y1 = max(math.floor(min(y) + 0.5) - 1, -h), min(math.ceil(max(y) + 0.5) + 1, 2 * h)
    if x1 <= x0 or y1 <= y0:
        return None, (0, 0)
    shift = np.array([[1.0, 0, -x0], [0, 1.0, -y0], [0, 0, 1.0]])
    into = np.array([[1.0, 0, ox], [0, 1.0, oy], [0, 0, 1.0]])
    patch = warp_array(
        _as_u8(inst.amodal_mask), shift @ mat @ into, (x1 - x0, y1 - y0), cv2.INTER_NEAREST
    ).view(bool)  # nearest-neighbour keeps the 0/1 bytes of a bool
    return _settle(patch, (x0, y0), inst.id, imap)


def _shift_mask(
    inst: Instance, mat: np.ndarray, imap: np.ndarray, size: Size
) -> tuple[np.ndarray | None, tuple[int, int]]:
    """:func:`_warp_mask` for a mirror or whole-pixel shift: the patch is sliced."""
    assert inst.amodal_mask is not None
    axes = _axis_aligned(mat)
    assert axes is not None
    sx, sy, tx, ty = axes
    w, h = size
    ph, pw = inst.amodal_mask.shape
    ox, oy = inst.amodal_origin
    # The patch's first and last pixel land on sx * ox + tx and sx * (ox + pw - 1) + tx.
    x0 = min(sx * ox + tx, sx * (ox + pw - 1) + tx)
    y0 = min(sy * oy + ty, sy * (oy + ph - 1) + ty)
    patch = inst.amodal_mask[::sy, ::sx]
    # Kept up to one image size beyond each border, as a warp keeps it.
    cx0, cy0 = max(x0, -w), max(y0, -h)
    cx1, cy1 = min(x0 + pw, 2 * w), min(y0 + ph, 2 * h)
    if cx1 <= cx0 or cy1 <= cy0:
        return None, (0, 0)
    patch = np.array(patch[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0], dtype=bool)
    return _settle(patch, (cx0, cy0), inst.id, imap)


def _settle(
    patch: np.ndarray, origin: tuple[int, int], inst_id: int, imap: np.ndarray
) -> tuple[np.ndarray | None, tuple[int, int]]:
    """A moved amodal patch at ``origin`` with the instance's visible pixels in the moved
    map added, cut to its tight box; None when nothing of it is left inside the image."""
    x0, y0 = origin
    h, w = imap.shape
    ph, pw = patch.shape
    ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x0 + pw, w), min(y0 + ph, h)
    if ix0 < ix1 and iy0 < iy1:
        patch[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] |= imap[iy0:iy1, ix0:ix1] == inst_id
    tight = bbox_xyxy(patch)
    if tight is None:
        return None, (0, 0)
    bx0, by0, bx1, by1 = tight
    if not (x0 + bx1 > 0 and y0 + by1 > 0 and x0 + bx0 < w and y0 + by0 < h):
        return None, (0, 0)  # wholly outside the image
    return patch[by0:by1, bx0:bx1], (x0 + bx0, y0 + by0)


def _as_u8(mask: np.ndarray) -> np.ndarray:
    """A bool mask as 0/1 bytes for OpenCV, without a copy when it is contiguous."""
    if mask.dtype == bool and mask.flags.c_contiguous:
        return mask.view(np.uint8)
    return np.ascontiguousarray(mask, dtype=np.uint8)


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
