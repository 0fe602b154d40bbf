"""Known answers: labels after every augment op are derived from moved masks, exactly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from synthgen.augment import PROFILE_NAMES, apply_plan, plan_copy, profile
from synthgen.augment.geometric import step_matrix
from synthgen.augment.profiles import GEOMETRIC
from synthgen.geometry import bbox_xyxy
from synthgen.labels import derive_labels
from synthgen.sample import Category, Instance, Sample, SourceLabel

H, W = 120, 160
CATS = [
    Category(1, "blob"),
    Category(
        2,
        "face",
        keypoints=("nose", "left_eye", "right_eye"),
        flip_pairs=(("left_eye", "right_eye"),),
    ),
]


def _blob_mask() -> np.ndarray:
    """An irregular shape (ellipse plus a notch), so its box is not a warped rectangle."""
    mask = np.zeros((40, 60), np.uint8)
    cv2.ellipse(mask, (30, 20), (28, 14), 20, 0, 360, 1, -1)
    mask[18:22, 0:30] = 0
    return mask.astype(bool)


def blob_sample(origin: tuple[int, int] = (50, 40)) -> Sample:
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    imap = np.zeros((H, W), np.uint16)
    mask = _blob_mask()
    ox, oy = origin
    imap[oy : oy + 40, ox : ox + 60][mask] = 1
    return Sample(image, imap, [Instance(1, "blob", amodal_mask=mask, amodal_origin=origin)])


def rect_sample(box: tuple[int, int, int, int], box_only: bool = False) -> Sample:
    x0, y0, x1, y1 = box
    image = np.full((H, W, 3), 90, np.uint8)
    imap = np.zeros((H, W), np.uint16)
    imap[y0:y1, x0:x1] = 1
    inst = Instance(
        1,
        "blob",
        amodal_mask=np.ones((y1 - y0, x1 - x0), bool),
        amodal_origin=(x0, y0),
        box_only=box_only,
    )
    return Sample(image, imap, [inst])


GEOMETRIC_STEPS = [
    {"op": "hflip"},
    {"op": "rotate", "degrees": 33.0, "fill": [0, 0, 0]},
    {"op": "perspective", "corners": [[0.05, 0.02], [-0.04, 0.06], [0.03, -0.05], [0.0, 0.04]]},
    {"op": "crop", "size": [0.7, 0.8], "at": [0.3, 0.6]},
    {"op": "scale_down", "factor": 0.4, "at": [0.2, 0.7], "fill": [0, 0, 0]},
]


@pytest.mark.parametrize("step", GEOMETRIC_STEPS, ids=lambda s: s["op"])
def test_box_is_the_tight_box_of_the_transformed_mask(step):
    sample = blob_sample()
    out = apply_plan(sample, [step], CATS)
    (label,) = derive_labels(out, min_area=1)
    # The mask is the source mask warped nearest-neighbour with the op's matrix...
    full = np.zeros((H, W), np.uint8)
    full[40:80, 50:110] = _blob_mask()
    mat, size = step_matrix(step, W, H)
    warped = cv2.warpPerspective(full, mat, size, flags=cv2.INTER_NEAREST).astype(bool)
    assert np.array_equal(label.full_mask(), warped)
    # ...and the box is that mask's tight box.
    assert label.bbox_xyxy == bbox_xyxy(warped)


def test_rotation_does_not_rotate_box_corners():
    step = {"op": "rotate", "degrees": 33.0, "fill": [0, 0, 0]}
    out = apply_plan(blob_sample(), [step], CATS)
    (label,) = derive_labels(out)
    mat, _ = step_matrix(step, W, H)
    old = bbox_xyxy(blob_sample().instance_map == 1)
    assert old is not None
    x0, y0, x1, y1 = old
    pts = np.array([[[x0 - 0.5, y0 - 0.5], [x1 - 0.5, y0 - 0.5], [x1 - 0.5, y1 - 0.5],
                     [x0 - 0.5, y1 - 0.5]]])  # fmt: skip
    xs, ys = cv2.perspectiveTransform(pts, mat)[0].T
    corner_box = (xs.min() + 0.5, ys.min() + 0.5, xs.max() + 0.5, ys.max() + 0.5)
    bx0, by0, bx1, by1 = label.bbox_xyxy
    # The rotated box corners give a looser box than the rotated shape's pixels.
    assert (bx1 - bx0) * (by1 - by0) < 0.85 * (corner_box[2] - corner_box[0]) * (
        corner_box[3] - corner_box[1]
    )


def test_box_only_instance_gets_the_tight_box_of_its_warped_box():
    sample = rect_sample((40, 30, 100, 70), box_only=True)
    step = {"op": "rotate", "degrees": 30.0, "fill": [0, 0, 0]}
    (label,) = derive_labels(apply_plan(sample, [step], CATS))
    assert label.box_only
    full = (sample.instance_map == 1).astype(np.uint8)
    mat, size = step_matrix(step, W, H)
    warped = cv2.warpPerspective(full, mat, size, flags=cv2.INTER_NEAREST)
    assert label.bbox_xyxy == bbox_xyxy(warped)
    assert label.bbox_xywh[2] > 60  # conservative: the rotated box's box is wider


def test_crop_records_truncation_and_drops_what_is_mostly_cut_away():
    image = np.full((H, W, 3), 50, np.uint8)
    imap = np.zeros((H, W), np.uint16)
    imap[10:30, 10:50] = 1  # half of it survives the crop below
    imap[60:80, 0:32] = 2  # 2 of its 32 columns survive
    insts = [
        Instance(1, "blob", amodal_mask=np.ones((20, 40), bool), amodal_origin=(10, 10)),
        Instance(2, "blob", amodal_mask=np.ones((20, 32), bool), amodal_origin=(0, 60)),
    ]
    # A 120 x 96 window at x = 30, y = 0: instance 1 keeps columns 30..49, 2 keeps 30..31.
    step = {"op": "crop", "size": [0.75, 0.8], "at": [30 / 40, 0.0]}
    out = apply_plan(Sample(image, imap, insts), [step], CATS)
    labels = derive_labels(out, min_visibility=0.1)
    assert [lab.instance_id for lab in labels] == [1]
    assert labels[0].bbox_xyxy == (0, 10, 20, 30)
    assert labels[0].truncation == pytest.approx(0.5)
    assert labels[0].visibility == pytest.approx(0.5)
    assert labels[0].amodal_bbox_xyxy == (-20, 10, 20, 30)
    assert [lab.instance_id for lab in derive_labels(out, min_visibility=0.0)] == [1, 2]


def test_occluder_over_half_an_object():
    sample = rect_sample((30, 20, 70, 40))
    step = {
        "op": "occluder",
        "occluders": [
            {"target": 0.0, "side": "left", "cover": 0.5, "shape": "rect", "fill": "solid",
             "colour": [255, 0, 0], "offset": [0.5, 0.5], "seed": 1}
        ],
    }  # fmt: skip
    out = apply_plan(sample, [step], CATS)
    (label,) = derive_labels(out)
    assert label.visibility == pytest.approx(0.5, abs=0.01)
    assert label.bbox_xyxy == (50, 20, 70, 40)
    assert label.area == 400
    assert np.all(out.image[20:40, 30:50, 0] > 150)  # the occluder is painted there
    assert np.array_equal(out.image[20:40, 50:70], sample.image[20:40, 50:70])


def test_occluder_pushes_an_object_below_min_visibility():
    sample = rect_sample((30, 20, 70, 40))
    step = profile("occluder", count=1, cover=0.95, shape="rect").draw(np.random.default_rng(0))
    out = apply_plan(sample, [step], CATS)
    assert derive_labels(out, min_visibility=0.1) == []
    (label,) = derive_labels(out, min_visibility=0.0)
    assert label.visibility == pytest.approx(0.05, abs=0.01)


@pytest.mark.parametrize("shape", ["ellipse", "polygon"])
def test_occluder_shapes_hide_only_inside_the_strip(shape):
    sample = blob_sample()
    step = profile("occluder", count=1, cover=0.5, shape=shape, fill="patch").draw(
        np.random.default_rng(3)
    )
    out = apply_plan(sample, [step], CATS)
    (label,) = derive_labels(out, min_visibility=0.0)
    assert 0.3 < label.visibility < 1.0
    hidden = (sample.instance_map == 1) & (out.instance_map == 0)
    assert np.array_equal(out.instance_map[~hidden], sample.instance_map[~hidden])


def test_hflip_swaps_left_and_right_keypoints():
    image = np.zeros((H, W, 3), np.uint8)
    imap = np.zeros((H, W), np.uint16)
    imap[20:60, 40:80] = 1
    kps = np.array([[60.0, 40.0], [50.5, 30.0], [70.5, 30.0]])  # nose, left eye, right eye
    inst = Instance(
        1, "face", amodal_mask=np.ones((40, 40), bool), amodal_origin=(40, 20), keypoints=kps
    )
    out = apply_plan(Sample(image, imap, [inst]), [{"op": "hflip"}], CATS)
    (label,) = derive_labels(out)
    assert label.keypoints is not None
    # Mirrored about x = W / 2 (continuous coordinates), left and right rows swapped.
    assert label.keypoints[:, :2].tolist() == [[100.0, 40.0], [89.5, 30.0], [109.5, 30.0]]
    assert label.keypoints[:, 2].tolist() == [2, 2, 2]
    assert label.bbox_xyxy == (80, 20, 120, 60)


@pytest.mark.parametrize("op", [{"op": "hflip"}, {"op": "rotate", "degrees": 10.0}])
def test_a_missing_keypoint_stays_missing_through_a_warp(op):
    image = np.zeros((H, W, 3), np.uint8)
    imap = np.zeros((H, W), np.uint16)
    imap[20:60, 40:80] = 1
    kps = np.array([[60.0, 40.0], [np.nan, np.nan], [70.5, 30.0]])  # no left eye
    inst = Instance(
        1, "face", amodal_mask=np.ones((40, 40), bool), amodal_origin=(40, 20), keypoints=kps
    )
    step = (
        op
        if op["op"] == "hflip"
        else profile("rotate", degrees=[10, 10]).draw(np.random.default_rng(0))
    )
    (label,) = derive_labels(apply_plan(Sample(image, imap, [inst]), [step], CATS))
    assert label.keypoints is not None
    flags = label.keypoints[:, 2].tolist()
    # OpenCV maps NaN to (0, 0); the keypoint must stay absent, not become visible there.
    assert flags.count(0) == 1 and flags.count(2) == 2


PHOTOMETRIC = [n for n in PROFILE_NAMES if n not in GEOMETRIC and n != "occluder"]


@pytest.mark.parametrize("name", PHOTOMETRIC)
def test_photometric_ops_move_no_label(name):
    sample = blob_sample()
    sample.instances[0].source = SourceLabel("coco", (50.0, 40.0, 60.0, 40.0), {})
    plan = plan_copy([profile(name)], np.random.default_rng([0, 1, 2]))
    out = apply_plan(sample, plan, CATS)
    assert out.instance_map is sample.instance_map
    assert out.instances is sample.instances
    assert not np.array_equal(out.image, sample.image)
    before, after = derive_labels(sample), derive_labels(out)
    assert [(b.bbox_xyxy, b.area, b.visibility) for b in before] == [
        (a.bbox_xyxy, a.area, a.visibility) for a in after
    ]


def test_fog_follows_depth_when_the_sample_has_it():
    sample = blob_sample()
    depth = np.zeros((H, W), np.float32)
    depth[:, : W // 2], depth[:, W // 2 :] = 2.0, 20.0
    sample.depth = depth
    flat = Sample(np.full((H, W, 3), 40, np.uint8), sample.instance_map, [], depth=depth)
    step = {"op": "fog", "density": 0.6, "airlight": 220, "mode": "auto"}
    out = apply_plan(flat, [step], CATS)
    near, far = out.image[5, 5, 0], out.image[5, W - 5, 0]
    assert near < far  # the far half is hazier
    assert far == round(40 * 0.4 + 220 * 0.6)


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_profile_is_deterministic_for_its_plan(name):
    plan = plan_copy([profile(name)], np.random.default_rng([5, 0, 1]))
    assert plan == plan_copy([profile(name)], np.random.default_rng([5, 0, 1]))
    a, b = apply_plan(blob_sample(), plan, CATS), apply_plan(blob_sample(), plan, CATS)
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.instance_map, b.instance_map)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("fog", {"density": [0.5, 2.0]}, "must be <= 1"),
        ("rotate", {"angle": 5}, "Extra inputs"),
        ("nope", {}, "does not match any of the expected tags"),
    ],
)
def test_bad_profile_parameters_are_refused(name, params, message):
    with pytest.raises(ValueError, match=message):
        profile(name, **params)
