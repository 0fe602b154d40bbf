import json
from typing import Any

import cv2
import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from synthgen.generators.document.degrade import (
    DegradeStep,
    RotateConfig,
    apply_degradations,
    page_corners,
    plan_degradations,
)

STEPS = TypeAdapter(list[DegradeStep])
GEOMETRIC = ["rotate", "perspective"]
PHOTOMETRIC = [
    "blur",
    "motion_blur",
    "noise",
    "jpeg",
    "contrast",
    "shadow",
    "fold",
    "ink_bleed",
    "salt_pepper",
]
PAPER, INK = (245, 242, 235), (25, 25, 40)
FILL = (200, 200, 200)


def make_page(dtype: type = np.uint16, id_base: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 160x120 page: word-like text blobs and rectangles, each with its own id."""
    ids: np.ndarray = np.zeros((160, 120), dtype)
    for k, (word, y) in enumerate([("Invoice", 25), ("Total", 55), ("42.00", 85)]):
        blob = np.zeros(ids.shape, np.uint8)
        cv2.putText(blob, word, (8 + 10 * k, y), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 1, 2)
        ids[blob > 0] = id_base + k + 1
    rng = np.random.default_rng(7)
    for k in range(4):
        x, y = int(rng.integers(5, 90)), int(rng.integers(100, 145))
        ids[y : y + 8, x : x + 20] = id_base + 4 + k
    image = np.where(ids[..., None] > 0, INK, PAPER).astype(np.uint8)
    return image, ids


def plan_of(step: dict[str, Any], seed: int = 0) -> list[dict[str, Any]]:
    return plan_degradations(STEPS.validate_python([step]), np.random.default_rng(seed))


def tight_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


# ---------------------------------------------------------------------------- plans


@pytest.mark.parametrize("op", GEOMETRIC + PHOTOMETRIC)
def test_same_plan_gives_same_bytes(op: str) -> None:
    image, ids = make_page()
    plan = plan_of({"op": op}, seed=3)
    assert plan == plan_of({"op": op}, seed=3)
    # The plan is the provenance record: a JSON round trip must rebuild the same output.
    replay = json.loads(json.dumps(plan))
    a, b = apply_degradations(image, ids, plan), apply_degradations(image, ids, replay)
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()


@pytest.mark.parametrize("op", GEOMETRIC + PHOTOMETRIC)
def test_different_seeds_give_different_output(op: str) -> None:
    image, ids = make_page()
    outputs = {apply_degradations(image, ids, plan_of({"op": op}, s))[0].tobytes() for s in (1, 2)}
    assert len(outputs) == 2


@pytest.mark.parametrize("op", ["noise", "salt_pepper"])
def test_seed_in_plan_drives_internal_randomness(op: str) -> None:
    image, ids = make_page()
    plan = plan_of({"op": op})
    other = [{**plan[0], "seed": plan[0]["seed"] + 1}]
    assert not np.array_equal(
        apply_degradations(image, ids, plan)[0], apply_degradations(image, ids, other)[0]
    )


def test_probability_decides_which_steps_fire() -> None:
    steps = STEPS.validate_python([{"op": "blur", "p": 0}, {"op": "jpeg", "p": 1}])
    rng = np.random.default_rng(0)
    for _ in range(50):
        assert [s["op"] for s in plan_degradations(steps, rng)] == ["jpeg"]
    half = STEPS.validate_python([{"op": "blur", "p": 0.5}])
    fired = sum(bool(plan_degradations(half, rng)) for _ in range(200))
    assert 60 < fired < 140


def test_plan_is_small_json() -> None:
    steps = STEPS.validate_python([{"op": op} for op in GEOMETRIC + PHOTOMETRIC])
    plan = plan_degradations(steps, np.random.default_rng(0))
    assert [s["op"] for s in plan] == GEOMETRIC + PHOTOMETRIC
    assert json.loads(json.dumps(plan)) == plan
    assert plan_degradations([RotateConfig(degrees=[1.5, 1.5])], np.random.default_rng(0)) == [
        {"op": "rotate", "degrees": 1.5, "fill": [200, 200, 200]}
    ]


def test_motion_blur_draws_odd_lengths_only() -> None:
    plans = [plan_of({"op": "motion_blur", "length": [4, 9]}, s)[0] for s in range(30)]
    assert {p["length"] for p in plans} <= {5, 7, 9}


# ---------------------------------------------------------------------------- labels


@pytest.mark.parametrize("op", PHOTOMETRIC)
@pytest.mark.parametrize("dtype", [np.uint16, np.int32])
def test_photometric_steps_leave_the_id_map_alone(op: str, dtype: type) -> None:
    image, ids = make_page(dtype)
    out, out_ids, hom = apply_degradations(image, ids, plan_of({"op": op}))
    assert out.shape == image.shape and out.dtype == np.uint8
    assert not np.array_equal(out, image)
    assert out_ids.dtype == dtype and np.array_equal(out_ids, ids)
    assert np.array_equal(hom, np.eye(3))


GEOMETRY_CASES = [
    ({"op": "rotate", "degrees": [7, 7]}, np.uint16, 0),
    ({"op": "rotate", "degrees": [-33, -33]}, np.int32, 0),
    ({"op": "rotate", "degrees": [90, 90]}, np.uint16, 0),
    # ids above 65535 take the two-halves path of the int32 warp
    ({"op": "rotate", "degrees": [4, 4]}, np.int32, 70_000),
    ({"op": "perspective", "strength": [0.1, 0.1]}, np.uint16, 0),
    ({"op": "perspective", "strength": [0.2, 0.2]}, np.int32, 2**30),
]


@pytest.mark.parametrize(("step", "dtype", "id_base"), GEOMETRY_CASES)
def test_each_id_matches_its_mask_warped_alone(
    step: dict[str, Any], dtype: type, id_base: int
) -> None:
    image, ids = make_page(dtype, id_base)
    _, out_ids, hom = apply_degradations(image, ids, plan_of(step))
    assert out_ids.dtype == dtype
    size = out_ids.shape[1], out_ids.shape[0]
    for k in np.unique(ids[ids > 0]):
        alone = cv2.warpPerspective((ids == k).astype(np.uint8), hom, size, flags=cv2.INTER_NEAREST)
        assert tight_box(out_ids == k) == tight_box(alone > 0), f"id {k}"
        if step["op"] == "rotate":  # the whole page stays: every id keeps ~ its pixel count
            assert abs(int((out_ids == k).sum()) - int((ids == k).sum())) <= 0.1 * (ids == k).sum()


@pytest.mark.parametrize("step", [{"op": "rotate"}, {"op": "perspective"}])
@pytest.mark.parametrize(("dtype", "scale"), [(np.uint16, 1), (np.int32, 1), (np.int32, 70_001)])
def test_every_pixel_matches_the_uint8_masks(step: dict[str, Any], dtype: type, scale: int) -> None:
    # OpenCV 5 samples int32 maps a little differently from uint8 masks (~150 pixels on an
    # A4 page); a dense pattern on a 400x300 page shows it, a small sparse page may not.
    small: np.ndarray = (np.arange(400 * 300).reshape(400, 300) % 97 + 1).astype(dtype)
    ids = small * scale
    image = np.full((*ids.shape, 3), 255, np.uint8)
    _, out_ids, hom = apply_degradations(image, ids, plan_of(step, seed=5))
    size = out_ids.shape[1], out_ids.shape[0]
    for k in range(1, 98):
        alone = cv2.warpPerspective(
            (small == k).astype(np.uint8), hom, size, flags=cv2.INTER_NEAREST
        )
        assert np.array_equal(out_ids == k * scale, alone > 0), f"id {k * scale}"


@pytest.mark.parametrize(("step", "dtype", "id_base"), GEOMETRY_CASES)
def test_h_maps_page_corners_onto_the_warped_page(
    step: dict[str, Any], dtype: type, id_base: int
) -> None:
    image, ids = make_page(dtype, id_base)
    page: np.ndarray = np.ones(
        ids.shape, dtype
    )  # id 1 everywhere: the warped id map shows the page
    plan = [{**plan_of(step)[0], "fill": list(FILL)}]
    out, out_page, hom = apply_degradations(image, page, plan)
    h, w = out_page.shape
    on_page = out_page == 1
    corners = cv2.perspectiveTransform(page_corners(*ids.shape[::-1])[None], hom)[0]
    # The page's outer corners stay inside the image, and its mask reaches them (±1 px).
    assert corners.min() >= -0.5 - 1e-3
    assert (corners[:, 0] <= w - 0.5 + 1e-3).all() and (corners[:, 1] <= h - 0.5 + 1e-3).all()
    x0, y0, x1, y1 = tight_box(on_page) or (0, 0, 0, 0)
    assert abs(x0 - 0.5 - corners[:, 0].min()) <= 1 and abs(x1 + 0.5 - corners[:, 0].max()) <= 1
    assert abs(y0 - 0.5 - corners[:, 1].min()) <= 1 and abs(y1 + 0.5 - corners[:, 1].max()) <= 1
    # The image's non-fill area is the page (bilinear edges differ by at most a pixel row).
    not_fill = np.any(out != FILL, axis=-1)
    assert (not_fill != on_page).sum() <= 2 * (h + w)
    if step["op"] == "rotate":
        assert on_page.sum() == pytest.approx(page.size, rel=0.02)  # no page pixel lost


def test_rotate_grows_the_canvas_and_perspective_keeps_it() -> None:
    image, ids = make_page()
    out, _, _ = apply_degradations(image, ids, plan_of({"op": "rotate", "degrees": [90, 90]}))
    assert out.shape == (120, 160, 3)
    out, _, _ = apply_degradations(image, ids, plan_of({"op": "rotate", "degrees": [10, 10]}))
    assert out.shape[0] > 160 and out.shape[1] > 120
    out, _, _ = apply_degradations(image, ids, plan_of({"op": "perspective"}))
    assert out.shape == image.shape


def test_geometric_steps_compose() -> None:
    image, ids = make_page(np.int32)
    rotate, persp = plan_of({"op": "rotate", "degrees": [5, 5]}), plan_of({"op": "perspective"})
    _, _, hom_r = apply_degradations(image, ids, rotate)
    mid, mid_ids, _ = apply_degradations(image, ids, rotate)
    _, _, hom_p = apply_degradations(mid, mid_ids, persp)
    _, out_ids, hom = apply_degradations(image, ids, [*rotate, {"op": "blur", "sigma": 1}, *persp])
    assert np.allclose(hom, hom_p @ hom_r)
    assert out_ids.dtype == np.int32 and set(np.unique(out_ids)) == set(np.unique(ids))


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{"op": "rotat"}], "does not match any of the expected tags: 'rotate'"),
        ([{"degrees": [1, 2]}], "Unable to extract tag using discriminator 'op'"),
        ([{"op": "rotate", "degrees": [3, 1]}], r"min \(3.0\) is larger than max \(1.0\)"),
        ([{"op": "blur", "p": 1.5}], "less than or equal to 1"),
        ([{"op": "blur", "p": -0.1}], "greater than or equal to 0"),
        ([{"op": "blur", "sigmaa": 1}], "Extra inputs are not permitted"),
        ([{"op": "jpeg", "quality": [0, 50]}], "values must be >= 1"),
        ([{"op": "contrast", "factor": [0.5, 1.2]}], "values must be <= 1"),
        ([{"op": "motion_blur", "length": [4, 4]}], "length must include an odd number"),
        ([{"op": "rotate", "fill": [0, 0, 300]}], "less than or equal to 255"),
    ],
)
def test_bad_config_is_refused(steps: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        STEPS.validate_python(steps)


def test_natural_range_forms_are_accepted() -> None:
    steps = STEPS.validate_python(
        [{"op": "blur", "sigma": 0.7}, {"op": "jpeg", "quality": {"min": 50, "max": 60}}]
    )
    assert steps[0].sigma.min == steps[0].sigma.max == 0.7  # type: ignore[union-attr]
    assert steps[1].quality.max == 60  # type: ignore[union-attr]


def test_bad_inputs_are_refused() -> None:
    image, ids = make_page()
    with pytest.raises(ValueError, match="unknown degradation op 'warp'"):
        apply_degradations(image, ids, [{"op": "warp"}])
    with pytest.raises(ValueError, match="id map must be uint16 or int32, got int64"):
        apply_degradations(image, ids.astype(np.int64), [])
    with pytest.raises(ValueError, match="differs from image"):
        apply_degradations(image, ids[1:], [])
