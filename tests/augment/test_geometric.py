"""The fast geometric paths give the step-by-step path's labels.

Mirrors and crops are sliced instead of warped (exact: the same arrays as the warp), and
consecutive geometric steps are folded into one warp (the same labels up to resampling:
each label is still the tight box of its moved mask).
"""

from __future__ import annotations

import numpy as np
import pytest

from synthgen.augment import apply_plan
from synthgen.augment.geometric import (
    plan_warps,
    shift_sample,
    step_matrix,
    warp_sample,
)
from synthgen.geometry import bbox_xyxy
from synthgen.labels import derive_labels
from synthgen.sample import Category, Instance, Sample

H, W = 96, 128
CATS = [
    Category(1, "blob"),
    Category(2, "face", keypoints=("nose", "left", "right"), flip_pairs=(("left", "right"),)),
]


def scene() -> Sample:
    """Three overlapping instances: an ellipse, a face with keypoints (one missing), and a
    box truncated by the left border (its amodal mask leaves the image)."""
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:40, 0:56]
    ellipse = ((xx - 27.5) / 27) ** 2 + ((yy - 19.5) / 15) ** 2 <= 1
    x0, y0, x1, y1 = bbox_xyxy(ellipse) or (0, 0, 0, 0)
    ellipse = ellipse[y0:y1, x0:x1]  # tight, as moved masks are
    face = np.ones((30, 30), bool)
    face[:6, :6] = False
    cut = np.ones((24, 40), bool)
    insts = [
        Instance(1, "blob", amodal_mask=ellipse, amodal_origin=(40 + x0, 20 + y0)),
        Instance(
            2,
            "face",
            amodal_mask=face,
            amodal_origin=(70, 40),
            keypoints=np.array([[85.0, 55.0], [78.5, 48.0], [np.nan, np.nan]]),
        ),
        Instance(3, "blob", amodal_mask=cut, amodal_origin=(-12, 60)),
    ]
    imap = np.zeros((H, W), np.uint16)
    for inst in insts:  # later instances on top
        assert inst.amodal_mask is not None
        ox, oy = inst.amodal_origin
        ph, pw = inst.amodal_mask.shape
        x0, y0 = max(ox, 0), max(oy, 0)
        patch = inst.amodal_mask[y0 - oy : oy + ph - oy, x0 - ox : ox + pw - ox]
        imap[y0 : oy + ph, x0 : ox + pw][patch] = inst.id
    depth = rng.uniform(1, 5, (H, W)).astype(np.float32)
    return Sample(image, imap, insts, depth=depth)


def assert_same_sample(a: Sample, b: Sample) -> None:
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.instance_map, b.instance_map)
    assert a.depth is not None and b.depth is not None
    assert np.array_equal(a.depth, b.depth)
    assert [i.id for i in a.instances] == [i.id for i in b.instances]
    for x, y in zip(a.instances, b.instances, strict=True):
        assert x.amodal_origin == y.amodal_origin
        assert x.amodal_mask is not None and y.amodal_mask is not None
        assert np.array_equal(x.amodal_mask, y.amodal_mask)
        if x.keypoints is None:
            assert y.keypoints is None
        else:
            assert y.keypoints is not None
            assert np.array_equal(x.keypoints, y.keypoints, equal_nan=True)


SHIFTS = {
    "hflip": [{"op": "hflip"}],
    "crop": [{"op": "crop", "size": [0.6, 0.7], "at": [0.9, 0.2]}],
    "crop_left": [{"op": "crop", "size": [0.5, 0.5], "at": [0.0, 1.0]}],
    "hflip_crop": [{"op": "hflip"}, {"op": "crop", "size": [0.7, 0.6], "at": [0.1, 0.5]}],
    "crop_hflip": [{"op": "crop", "size": [0.7, 0.6], "at": [0.1, 0.5]}, {"op": "hflip"}],
}


@pytest.mark.parametrize("steps", SHIFTS.values(), ids=SHIFTS.keys())
def test_slicing_a_mirror_or_crop_gives_exactly_the_warp(steps):
    (warp,) = plan_warps(steps, W, H)
    swap = {"face": np.array([0, 2, 1])} if warp.flips % 2 else {}
    sliced = shift_sample(scene(), warp.mat, warp.size, swap=swap)
    warped = warp_sample(scene(), warp.mat, warp.size, swap=swap)
    assert_same_sample(sliced, warped)
    assert [lab.bbox_xyxy for lab in derive_labels(sliced)] == [
        lab.bbox_xyxy for lab in derive_labels(warped)
    ]


def test_a_flip_by_slicing_mirrors_every_array():
    sample = scene()
    out = apply_plan(scene(), [{"op": "hflip"}], CATS)
    assert np.array_equal(out.image, sample.image[:, ::-1])
    assert np.array_equal(out.instance_map, sample.instance_map[:, ::-1])
    assert out.depth is not None and sample.depth is not None
    assert np.array_equal(out.depth, sample.depth[:, ::-1])
    truncated = out.instances[2]
    assert truncated.amodal_origin == (W - 28, 60)  # 12 columns now beyond the right border
    assert truncated.amodal_mask is not None and truncated.amodal_mask.shape == (24, 40)


def test_two_flips_give_the_sample_back():
    sample = scene()
    out = apply_plan(scene(), [{"op": "hflip"}, {"op": "hflip"}], CATS)
    assert_same_sample(out, Sample(sample.image, sample.instance_map, sample.instances,
                                   depth=sample.depth))  # fmt: skip


ROT = {"op": "rotate", "degrees": 21.0, "fill": [0, 0, 0]}
ZOOM = {"op": "perspective", "corners": [[-0.05, -0.04], [0.06, -0.03], [0.04, 0.05],
                                        [-0.03, 0.06]], "fill": [0, 0, 0]}  # fmt: skip
SHRINK = {"op": "scale_down", "factor": 0.5, "at": [0.5, 0.5], "fill": [0, 0, 0]}
CROP = {"op": "crop", "size": [0.8, 0.75], "at": [0.3, 0.6]}
FOLDS = {
    "hflip_rotate": ([{"op": "hflip"}, ROT], 1),
    "rotate_hflip": ([ROT, {"op": "hflip"}], 1),
    "rotate_crop": ([ROT, CROP], 1),
    "hflip_zoom": ([{"op": "hflip"}, ZOOM], 1),
    "rotate_zoom": ([ROT, ZOOM], 1),
    "crop_rotate": ([CROP, ROT], 2),
    "rotate_rotate": ([ROT, ROT], 2),
    "hflip_scale_down": ([{"op": "hflip"}, SHRINK], 2),
}


@pytest.mark.parametrize(("steps", "warps"), FOLDS.values(), ids=FOLDS.keys())
def test_folded_warps_give_the_step_by_step_labels(steps, warps):
    assert len(plan_warps(steps, W, H)) == warps
    folded = apply_plan(scene(), steps, CATS)
    stepwise = scene()
    for step in steps:
        stepwise = apply_plan(stepwise, [step], CATS)
    assert folded.instance_map.shape == stepwise.instance_map.shape
    # Resampling once instead of twice moves a few edge pixels, no more.
    assert np.mean(folded.instance_map != stepwise.instance_map) < 0.01
    fl, sl = derive_labels(folded), derive_labels(stepwise)
    assert [a.instance_id for a in fl] == [b.instance_id for b in sl]
    for a, b in zip(fl, sl, strict=True):
        # Each box is the tight box of its warped mask...
        assert a.bbox_xyxy == bbox_xyxy(folded.instance_map == a.instance_id)
        # ...and within resampling of the step-by-step one.
        assert np.abs(np.subtract(a.bbox_xyxy, b.bbox_xyxy)).max() <= 1
        inter = np.count_nonzero(a.full_mask() & b.full_mask())
        assert inter / np.count_nonzero(a.full_mask() | b.full_mask()) > 0.95
        assert a.visibility == pytest.approx(b.visibility, abs=0.03)
        assert a.truncation == pytest.approx(b.truncation, abs=0.03)
        if a.keypoints is not None:
            assert b.keypoints is not None
            np.testing.assert_allclose(a.keypoints[:, :2], b.keypoints[:, :2], atol=1e-6)
            assert a.keypoints[:, 2].tolist() == b.keypoints[:, 2].tolist()
    if warps == 1 and steps[0]["op"] == "hflip":
        # A mirror moves pixels without resampling: the folded image is the same.
        assert np.mean(np.abs(folded.image.astype(int) - stepwise.image.astype(int))) < 0.5


def test_folding_keeps_the_matrix_of_the_steps():
    steps = [{"op": "hflip"}, ROT, CROP]
    (warp,) = plan_warps(steps, W, H)
    flip, size = step_matrix(steps[0], W, H)
    rot, size = step_matrix(ROT, *size)
    crop, size = step_matrix(CROP, *size)
    np.testing.assert_allclose(warp.mat, crop @ rot @ flip)
    assert (warp.size, warp.flips) == (size, 1)


def test_a_folded_warp_fills_with_the_colour_of_the_step_that_leaves_the_canvas():
    red = {**ROT, "fill": [255, 0, 0]}
    out = apply_plan(scene(), [{"op": "hflip"}, red], CATS)
    assert out.image[0, 0].tolist() == [255, 0, 0]


@pytest.mark.parametrize(
    "steps",
    [
        [{"op": "crop", "size": [1.0, 0.5], "at": [0.0, 0.0]}],  # rows of the source: a view
        [{"op": "hflip"}, {"op": "hflip"}],  # the identity
    ],
    ids=["full_width_crop", "two_flips"],
)
def test_slicing_never_edits_the_source_sample(steps):
    # The generator reuses a loaded source for its next copy: a moved map that is a view
    # of the source's would carry this copy's edits (lost instances cleared) into it.
    source, pristine = scene(), scene()
    out = apply_plan(source, steps, CATS)
    assert not np.shares_memory(out.instance_map, source.instance_map)
    assert not np.shares_memory(out.image, source.image)
    assert_same_sample(source, pristine)
