"""Labels derived from a Sample's final pixels: the label contract in one place.

Every writer consumes :class:`ObjectLabel`; none computes a box or a mask of its own.

Instances read from an existing dataset (:mod:`synthgen.readers`) are the one exception,
and only while untouched: their :class:`~synthgen.sample.SourceLabel` is sealed with a hash
of the instance map around them, their own mask and keypoints (:func:`seal_sources`), and
as long as those are unchanged their label is the source's own (its mask, its box, its
keypoint flags), so an untouched dataset is written back exactly as it came, overlapping
masks and float boxes included. Once anything there changes, the label is derived from
pixels like any other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from synthgen import geometry
from synthgen.sample import Instance, Sample, SourceLabel

# COCO keypoint visibility flags.
KP_ABSENT, KP_OCCLUDED, KP_VISIBLE = 0, 1, 2


@dataclass
class ObjectLabel:
    """Everything a format can say about one visible object.

    ``mask`` is the visible mask cropped to ``bbox_xyxy`` (ends exclusive). ``visibility``
    is visible pixels / pixels of the whole object (hidden and off-image parts included);
    ``truncation`` is the fraction of the whole object outside the image. ``keypoints``
    is (K, 3): x, y, COCO flag (0 absent or outside the image, 1 occluded, 2 visible).
    ``amodal_mask`` and ``amodal_origin`` are the whole object's silhouette and where its
    top-left pixel sits (it may leave the image). 3D objects also carry ``model``, ``pose``
    (4x4 model -> camera, metres), ``box3d`` (8 corners in the camera frame, in the order of
    ``geometry.box_corners``) and ``box3d_projected`` (8 x 2, continuous pixels).

    ``source`` is set when the label is an untouched instance's label as its dataset gave
    it (then ``mask`` is the instance's own mask, which may overlap other instances');
    writers of the same format write ``source.record`` back verbatim, others take the
    source's box. ``box_only``: the mask is a box (the dataset had no outline).
    """

    instance_id: int
    category: str
    bbox_xyxy: tuple[int, int, int, int]
    mask: np.ndarray
    image_size: tuple[int, int]  # (height, width)
    visibility: float = 1.0
    truncation: float = 0.0
    amodal_bbox_xyxy: tuple[int, int, int, int] | None = None
    keypoints: np.ndarray | None = None
    attributes: dict[str, Any] | None = None
    amodal_mask: np.ndarray | None = None
    amodal_origin: tuple[int, int] = (0, 0)
    model: str | None = None
    pose: np.ndarray | None = None
    box3d: np.ndarray | None = None
    box3d_projected: np.ndarray | None = None
    source: SourceLabel | None = None
    box_only: bool = False

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.mask))

    @property
    def bbox_xywh(self) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = self.bbox_xyxy
        return x0, y0, x1 - x0, y1 - y0

    @cached_property
    def polygons(self) -> list[np.ndarray]:
        """Exact pixel-edge polygons in image coordinates (holes joined in by slits)."""
        return geometry.mask_to_polygons(self.mask, offset=self.bbox_xyxy[:2])

    @cached_property
    def rle(self) -> dict[str, Any]:
        """COCO compressed RLE of the visible mask over the whole image."""
        return geometry.rle_encode(self.mask, self.bbox_xyxy[:2], self.image_size)

    def full_mask(self) -> np.ndarray:
        """The visible mask at image size (for checks and previews; writers use the crop)."""
        canvas = np.zeros(self.image_size, dtype=bool)
        x0, y0, x1, y1 = self.bbox_xyxy
        canvas[y0:y1, x0:x1] = self.mask
        return canvas


def precompute_polygons(objects: list[ObjectLabel]) -> None:
    """Fills every object's ``polygons`` in one vectorized pass (writers then reuse them)."""
    todo = [o for o in objects if "polygons" not in o.__dict__]
    found = geometry.masks_to_polygons([o.mask for o in todo], [o.bbox_xyxy[:2] for o in todo])
    for obj, polys in zip(todo, found, strict=True):
        obj.__dict__["polygons"] = polys  # where functools.cached_property keeps its value


def derive_labels(
    sample: Sample, min_visibility: float = 0.0, min_area: int = 1
) -> list[ObjectLabel]:
    """Labels of every instance that stays visible enough, in instance order.

    An instance hidden below ``min_visibility`` (or smaller than ``min_area`` pixels) is
    dropped here, so it disappears from every format together with its keypoints. An
    untouched instance read from a dataset keeps its source label and is always kept: the
    thresholds are for what synthgen hides, not for what the dataset holds.
    """
    found: list[Any] | None = None
    labels = []
    for inst in sample.instances:
        if inst.source is not None and source_intact(sample, inst):
            labels.append(_source_label(sample, inst, inst.source))
            continue
        if inst.amodal_mask is not None:
            window = _search(sample.instance_map, inst)
        else:
            # No patch to search in: one pass over the map (C, in scipy) finds every id's
            # tight box at once; on a 640x480 map it costs as much as ten patch searches.
            if found is None:
                from scipy import ndimage  # here: text workers never load scipy (~1 s)

                found = ndimage.find_objects(sample.instance_map)
            window = found[inst.id - 1] if inst.id <= len(found) else None
        label = _label_instance(sample, inst, window)
        if label is None or label.area < min_area or label.visibility < min_visibility:
            continue
        labels.append(label)
    return labels


def _label_instance(
    sample: Sample, inst: Instance, window: tuple[slice, slice] | None
) -> ObjectLabel | None:
    """``window``: the tight box of the instance's pixels in the map, None if it has none."""
    if window is None:
        return None
    height, width = sample.instance_map.shape
    rows, cols = window
    bbox = (int(cols.start), int(rows.start), int(cols.stop), int(rows.stop))
    mask = sample.instance_map[window] == inst.id

    visibility, truncation, amodal_bbox = 1.0, 0.0, None
    if inst.amodal_mask is not None:
        total = int(np.count_nonzero(inst.amodal_mask))
        inside = _amodal_inside(inst, height, width)
        visibility = int(np.count_nonzero(mask)) / total
        truncation = 1.0 - int(np.count_nonzero(inside)) / total
        ab = geometry.bbox_xyxy(inst.amodal_mask)
        if ab is not None:
            ox, oy = inst.amodal_origin
            amodal_bbox = (ab[0] + ox, ab[1] + oy, ab[2] + ox, ab[3] + oy)
    keypoints = None
    if inst.keypoints is not None:
        keypoints = keypoint_visibility(sample, inst, mask, bbox[:2])
    box3d = box3d_projected = None
    if inst.pose is not None and inst.bounds is not None and sample.camera is not None:
        box3d = geometry.transform(inst.pose, geometry.box_corners(inst.bounds))
        box3d_projected = geometry.project(sample.camera.K, box3d)
    return ObjectLabel(
        instance_id=inst.id,
        category=inst.category,
        bbox_xyxy=bbox,
        mask=mask,
        image_size=(height, width),
        visibility=visibility,
        truncation=truncation,
        amodal_bbox_xyxy=amodal_bbox,
        keypoints=keypoints,
        attributes=inst.attributes or None,
        amodal_mask=inst.amodal_mask,
        amodal_origin=inst.amodal_origin,
        model=inst.model,
        pose=inst.pose,
        box3d=box3d,
        box3d_projected=box3d_projected,
        box_only=inst.box_only,
    )


def seal_sources(sample: Sample) -> None:
    """Seals every instance's source label with the instance map as it is now.

    Readers call it once the map is built. The window is the tight box of the instance's
    own mask (``amodal_mask``), which source instances must have.
    """
    height, width = sample.instance_map.shape
    for inst in sample.instances:
        if inst.source is None:
            continue
        if inst.amodal_mask is None:
            raise ValueError(f"instance {inst.id} has a source label but no mask")
        box = geometry.bbox_xyxy(_amodal_inside(inst, height, width))
        if box is None:
            raise ValueError(f"instance {inst.id}: its mask has no pixel inside the image")
        ox, oy = max(0, inst.amodal_origin[0]), max(0, inst.amodal_origin[1])
        window = (box[0] + ox, box[1] + oy, box[2] + ox, box[3] + oy)
        inst.source = replace(inst.source, window=window, seal=_seal(sample, inst, window))


def source_intact(sample: Sample, inst: Instance) -> bool:
    """Whether a source instance and the instance map around it are as its reader left them."""
    source = inst.source
    return (
        source is not None
        and bool(source.seal)
        and _seal(sample, inst, source.window) == source.seal
    )


def _seal(sample: Sample, inst: Instance, window: tuple[int, int, int, int]) -> bytes:
    """A hash of what the source label describes: the map in the instance's window (with
    the map's shape and dtype: a crop or a resize breaks it), the instance's own mask and
    where it sits, and its keypoints (a flip of a symmetric object still moves them)."""
    x0, y0, x1, y1 = window
    imap = sample.instance_map
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((imap.shape, imap.dtype.str, window, inst.amodal_origin)).encode())
    # The arrays' buffers go in directly: the same bytes as tobytes() without a copy.
    digest.update(np.ascontiguousarray(imap[y0:y1, x0:x1]).data)
    for array in (inst.amodal_mask, inst.keypoints):
        if array is not None:
            digest.update(repr(array.shape).encode())
            digest.update(np.ascontiguousarray(array).data)
    return digest.digest()


def _source_label(sample: Sample, inst: Instance, source: SourceLabel) -> ObjectLabel:
    """The label of an untouched instance read from a dataset: its own mask (which may
    reach under other instances), the source's keypoints and flags, and its visibility
    (the source's, else its share of its mask on top in the instance map)."""
    assert inst.amodal_mask is not None  # seal_sources checked it
    height, width = sample.instance_map.shape
    x0, y0, x1, y1 = source.window
    ox, oy = inst.amodal_origin
    mask = inst.amodal_mask[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
    visibility = source.visibility
    if visibility is None:
        seen = np.count_nonzero(sample.instance_map[y0:y1, x0:x1][mask] == inst.id)
        visibility = int(seen) / int(np.count_nonzero(mask))
    return ObjectLabel(
        instance_id=inst.id,
        category=inst.category,
        bbox_xyxy=source.window,
        mask=mask,
        image_size=(height, width),
        visibility=visibility,
        truncation=source.truncation or 0.0,
        keypoints=source.keypoints,
        attributes=inst.attributes or None,
        amodal_mask=inst.amodal_mask,
        amodal_origin=inst.amodal_origin,
        source=source,
        box_only=inst.box_only,
    )


def _search(imap: np.ndarray, inst: Instance) -> tuple[slice, slice] | None:
    """The tight box of the instance's pixels, searched in its amodal patch (clipped to
    the image): where it can be visible."""
    assert inst.amodal_mask is not None
    height, width = imap.shape
    ox, oy = inst.amodal_origin
    ph, pw = inst.amodal_mask.shape
    x0, y0, x1, y1 = max(ox, 0), max(oy, 0), min(ox + pw, width), min(oy + ph, height)
    if x0 >= x1 or y0 >= y1:
        return None
    box = geometry.bbox_xyxy(imap[y0:y1, x0:x1] == inst.id)
    if box is None:
        return None
    return slice(y0 + box[1], y0 + box[3]), slice(x0 + box[0], x0 + box[2])


def _amodal_inside(inst: Instance, height: int, width: int) -> np.ndarray:
    """The part of the amodal patch that falls inside the image."""
    assert inst.amodal_mask is not None
    ox, oy = inst.amodal_origin
    ph, pw = inst.amodal_mask.shape
    return inst.amodal_mask[
        max(0, -oy) : max(0, min(ph, height - oy)), max(0, -ox) : max(0, min(pw, width - ox))
    ]


def keypoint_visibility(
    sample: Sample, inst: Instance, visible: np.ndarray, origin: tuple[int, int]
) -> np.ndarray:
    """(K, 3) keypoints with COCO flags, decided from the final pixels.

    ``visible`` is the object's visible mask cropped at ``origin`` (x, y). A keypoint is
    visible when the object's own visible pixels reach within one pixel of it (keypoints on
    a silhouette's edge sit on a pixel boundary); occluded when only its hidden pixels do,
    or when another object covers it; absent when undefined or outside the image.
    """
    assert inst.keypoints is not None
    depth_test = inst.keypoint_depth is not None and sample.depth is not None
    if len(inst.keypoints) <= _FEW and not depth_test:
        return _few_keypoint_flags(sample, inst, visible, origin)
    imap = sample.instance_map
    height, width = imap.shape
    x, y = inst.keypoints[:, 0], inst.keypoints[:, 1]
    inside = np.isfinite(x) & np.isfinite(y) & (x >= 0) & (x < width) & (y >= 0) & (y < height)
    out = np.zeros((len(x), 3), dtype=np.float64)
    if not inside.any():
        return out
    px, py = x[inside].astype(np.intp), y[inside].astype(np.intp)
    if depth_test:
        assert inst.keypoint_depth is not None and sample.depth is not None
        flags = _depth_test(sample.depth, inst.keypoint_depth[inside], px, py)
        out[inside] = np.stack([x[inside], y[inside], flags], 1)
        return out
    own = _near(visible, origin, px, py)
    whole = (
        _near(inst.amodal_mask, inst.amodal_origin, px, py)
        if inst.amodal_mask is not None
        else np.ones(len(px), dtype=bool)
    )
    cover = imap[py, px]
    hidden = whole | ((cover != 0) & (cover != inst.id))
    out[inside] = np.stack(
        [x[inside], y[inside], np.where(own | ~hidden, KP_VISIBLE, KP_OCCLUDED)], 1
    )
    return out


# Up to this many keypoints an object's flags are decided one keypoint at a time in plain
# Python: numpy's fixed cost per call on arrays of 5 (a quickstart sign) costs 4x more.
_FEW = 8


def _few_keypoint_flags(
    sample: Sample, inst: Instance, visible: np.ndarray, origin: tuple[int, int]
) -> np.ndarray:
    """:func:`keypoint_visibility` without depth, one keypoint at a time (same flags)."""
    assert inst.keypoints is not None
    imap = sample.instance_map
    height, width = imap.shape
    out = np.zeros((len(inst.keypoints), 3), dtype=np.float64)
    for k, (x, y) in enumerate(inst.keypoints.tolist()):
        if not (0 <= x < width and 0 <= y < height):  # also false for NaN and inf
            continue
        px, py = int(x), int(y)
        if _near_one(visible, origin, px, py):
            flag = KP_VISIBLE
        else:
            cover = int(imap[py, px])
            hidden = (cover != 0 and cover != inst.id) or (
                inst.amodal_mask is None or _near_one(inst.amodal_mask, inst.amodal_origin, px, py)
            )
            flag = KP_OCCLUDED if hidden else KP_VISIBLE
        out[k] = x, y, flag
    return out


DEPTH_TOLERANCE = (0.002, 0.005)  # metres, and fraction of the distance


def _depth_test(depth: np.ndarray, z: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """A keypoint is visible when nothing is in front of it: the surface seen at its pixel
    is not nearer than the keypoint (a pixel showing only background hides nothing).

    The tolerance absorbs the depth change across one pixel of a slanted surface.
    """
    seen = depth[py, px]
    tol = np.maximum(DEPTH_TOLERANCE[0], DEPTH_TOLERANCE[1] * z)
    visible = (seen == 0) | (seen >= z - tol)
    return np.where(visible, KP_VISIBLE, KP_OCCLUDED)


# The 3x3 neighbourhood of a pixel, as (row, column) offsets.
_DY, _DX = np.repeat([-1, 0, 1], 3), np.tile([-1, 0, 1], 3)


def _near(mask: np.ndarray, origin: tuple[int, int], px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Whether each pixel (px, py) is within one pixel of ``mask`` placed at ``origin``
    (inside the mask dilated by one pixel)."""
    # Each keypoint's 3x3 neighbourhood is looked up in place: dilating the whole mask
    # costs its area; a few keypoints go one by one, many in one gather.
    h, w = mask.shape
    ys, xs = py - origin[1], px - origin[0]
    if len(ys) > 8:
        ys, xs = ys[:, None] + _DY, xs[:, None] + _DX
        ok = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
        hit: np.ndarray = (mask[np.where(ok, ys, 0), np.where(ok, xs, 0)] & ok).any(axis=1)
        return hit
    near = np.zeros(len(ys), dtype=bool)
    for k, (y, x) in enumerate(zip(py.tolist(), px.tolist(), strict=True)):
        near[k] = _near_one(mask, origin, x, y)
    return near


def _near_one(mask: np.ndarray, origin: tuple[int, int], px: int, py: int) -> bool:
    """:func:`_near` of one pixel."""
    h, w = mask.shape
    y, x = py - origin[1], px - origin[0]
    if not (-1 <= y <= h and -1 <= x <= w):
        return False
    return bool(np.count_nonzero(mask[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2]))
