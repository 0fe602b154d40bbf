import numpy as np
import pytest

from synthgen.errors import AssetError, PlacementError
from synthgen.generators.base import SkipSample
from synthgen.labels import derive_labels
from synthgen.recipe import build_recipe
from tests.helpers import base_recipe

OBJECT_KEYS = {
    "count",
    "scale",
    "class_weights",
    "class_counts",
    "flip",
    "rotation",
    "relative_to",
    "perspective",
    "color",
}


def make(assets, **options):
    """A checked generator; object options (count, scale, ...) go under 'objects'."""
    data = base_recipe(**{k: v for k, v in options.items() if k not in OBJECT_KEYS})
    data["generator"]["objects"].update({k: v for k, v in options.items() if k in OBJECT_KEYS})
    recipe = build_recipe(data, base_dir=assets)
    gen = recipe.generator()
    gen.check()
    return gen


def samples(gen, n=8, seed=0):
    return [gen.generate(np.random.default_rng([seed, i])) for i in range(n)]


def test_same_rng_same_sample_and_render_from_plan_alone(assets):
    gen = make(assets, blending={"modes": {"alpha": 1, "gaussian": 1, "poisson": 1, "motion": 1}})
    a = gen.generate(np.random.default_rng([1, 2]))
    b = gen.generate(np.random.default_rng([1, 2]))
    assert a.plan == b.plan and np.array_equal(a.image, b.image)
    fresh = make(assets, blending={"modes": {"alpha": 1, "gaussian": 1, "poisson": 1, "motion": 1}})
    c = fresh.render(a.plan)  # a new process with only the plan rebuilds the sample
    assert np.array_equal(a.image, c.image) and np.array_equal(a.instance_map, c.instance_map)


def test_no_occlusion_allowed_means_no_shared_pixels(assets):
    gen = make(assets, count=[4, 4], placement={"max_occlusion": 0.0, "max_truncation": 0.0})
    for s in samples(gen):
        for obj in derive_labels(s):
            assert obj.visibility == pytest.approx(1.0) and obj.truncation == 0.0


def test_occlusion_and_truncation_stay_within_the_limits(assets):
    gen = make(
        assets,
        count=[6, 6],
        scale=[0.4, 0.6],
        placement={"max_occlusion": 0.5, "max_truncation": 0.25},
    )
    seen_occluded = seen_truncated = False
    for s in samples(gen, 12):
        for obj in derive_labels(s):
            assert obj.truncation <= 0.25 + 1e-9
            occlusion = 1 - obj.visibility / (1 - obj.truncation)
            assert occlusion <= 0.5 + 1e-6
            seen_occluded |= occlusion > 0.05
            seen_truncated |= obj.truncation > 0.02
    assert seen_occluded and seen_truncated


def test_labels_are_the_visible_pixels_of_each_object(assets):
    gen = make(assets, count=[6, 6], scale=[0.4, 0.6], placement={"max_occlusion": 0.9})
    for s in samples(gen):
        for obj in derive_labels(s):
            assert np.array_equal(obj.full_mask(), s.instance_map == obj.instance_id)
            inst = s.instances[obj.instance_id - 1]
            hidden = obj.visibility < 1 - obj.truncation - 1e-9
            assert hidden == (obj.area < int(inst.amodal_mask.sum()) * (1 - obj.truncation) - 0.5)


def test_distractors_hide_labels_and_get_none(assets):
    gen = make(
        assets,
        count=[3, 3],
        scale=[0.4, 0.5],
        distractors={"source": {"dir": "cutouts/square"}, "count": [3, 3], "scale": [0.4, 0.5]},
        placement={"max_occlusion": 1.0},
    )
    covered = 0
    for s in samples(gen, 10):
        for entry in s.plan["objects"]:
            if entry["category"] is None:
                patch = gen._patch(entry)
                x, y = entry["at"]
                h, w = patch.mask.shape
                region = s.instance_map[max(y, 0) : y + h, max(x, 0) : x + w]
                mask = patch.mask[
                    max(-y, 0) : max(-y, 0) + region.shape[0],
                    max(-x, 0) : max(-x, 0) + region.shape[1],
                ]
                later = s.plan["objects"][s.plan["objects"].index(entry) + 1 :]
                if not any(e["category"] for e in later):  # nothing labeled above it
                    assert not region[mask].any()
                    covered += int(mask.sum())
        assert all(i.category in ("ring", "square") for i in s.instances)
    assert covered > 0


def test_keypoints_follow_the_object_and_swap_when_mirrored(assets):
    for flip in (0.0, 1.0):
        gen = make(
            assets,
            count=[1, 1],
            class_weights={"ring": 1, "square": 0},
            flip={"horizontal": flip},
            placement={"max_truncation": 0.0},
        )
        for s in samples(gen, 6):
            (obj,) = derive_labels(s)
            left, right, top = obj.keypoints
            assert left[0] < right[0]  # 'left' is on the left of the image either way
            x0, y0, x1, _ = obj.amodal_bbox_xyxy
            assert (
                abs(top[1] - y0) <= 1.0 and abs(left[0] - x0) <= 1.0 and abs(right[0] - x1) <= 1.0
            )
            assert top[2] == 2


@pytest.mark.parametrize("mode", ["alpha", "none", "gaussian", "poisson", "motion"])
def test_every_blend_mode_labels_the_pixels_the_object_dominates(assets, mode):
    gen = make(
        assets, count=[3, 3], blending={"modes": {mode: 1}}, placement={"max_occlusion": 0.0}
    )
    for s in samples(gen, 3):
        objs = derive_labels(s)
        for entry, obj in zip([e for e in s.plan["objects"] if e["category"]], objs, strict=True):
            patch = gen._patch(entry)
            assert np.array_equal(patch.mask, patch.alpha >= 0.5)
            assert obj.attributes == {"blend": mode}
            assert (
                obj.mask[0].any()
                and obj.mask[-1].any()
                and obj.mask[:, 0].any()
                and obj.mask[:, -1].any()
            )


def test_soft_blends_spread_colour_past_the_label(assets):
    gen = make(
        assets,
        count=[1, 1],
        class_weights={"ring": 1, "square": 0},
        blending={"modes": {"motion": 1}, "motion_length": [15, 15]},
    )
    s = gen.generate(np.random.default_rng(3))
    (entry,) = s.plan["objects"]
    patch = gen._patch(entry)
    halo = (patch.alpha > 0.05) & ~patch.mask
    assert halo.sum() > 20  # the blur reaches beyond the labeled pixels


def test_exact_class_counts(assets):
    gen = make(
        assets,
        class_counts={"ring": 2, "square": [1, 1]},
        placement={"max_occlusion": 1.0},
        count=[0, 0],
    )
    for s in samples(gen):
        assert sorted(i.category for i in s.instances) == ["ring", "ring", "square"]


def test_class_weights_pick_classes(assets):
    gen = make(assets, class_weights={"ring": 0, "square": 1})
    assert {i.category for s in samples(gen) for i in s.instances} == {"square"}


@pytest.mark.parametrize("policy", ["error", "skip", "fewer"])
def test_impossible_constraints_follow_the_recipe(assets, policy):
    gen = make(
        assets,
        count=[30, 30],
        scale=[0.5, 0.5],
        placement={
            "max_occlusion": 0.0,
            "max_truncation": 0.0,
            "attempts": 20,
            "on_failure": policy,
        },
    )
    rng = np.random.default_rng(0)
    if policy == "error":
        with pytest.raises(
            PlacementError, match=r"could not place a '(ring|square)' object after 20 attempts"
        ):
            gen.plan(rng)
    elif policy == "skip":
        with pytest.raises(SkipSample, match="on_failure"):
            gen.plan(rng)
    else:
        plan = gen.plan(rng)
        assert plan["unplaced"] > 0 and 0 < len(plan["objects"]) < 30


def test_unknown_class_in_weights_is_a_recipe_error(assets):
    from synthgen.config import RecipeError

    with pytest.raises(
        RecipeError, match=r"generator.objects.class_weights: unknown classes \['cat'\]"
    ):
        make(assets, class_weights={"cat": 1})


def test_cutout_larger_than_the_canvas(assets):
    with pytest.raises(AssetError, match="larger than the 160x120 canvas"):
        make(assets, scale=[3, 4], relative_to="cutout")


def test_categories_follow_the_recipe_order(assets):
    gen = make(assets)
    cats = gen.categories()
    assert [(c.id, c.name) for c in cats] == [(1, "ring"), (2, "square")]
    assert cats[0].keypoints == ("left", "right", "top") and cats[0].flip_pairs == (
        ("left", "right"),
    )


@pytest.mark.parametrize("mode", ["alpha", "none", "gaussian", "poisson", "motion"])
def test_labeled_pixels_are_really_painted(assets, mode):
    """A label on pixels that still show the background is the worst defect: check pixels."""
    gen = make(
        assets, count=[3, 3], blending={"modes": {mode: 1}}, placement={"max_occlusion": 0.0}
    )
    for s in samples(gen, 3):
        empty = gen.render({**s.plan, "objects": []}).image
        changed = (np.abs(s.image.astype(int) - empty).sum(axis=2) > 6) | (s.instance_map == 0)
        # Poisson keeps gradients, not colours: flat parts may end near the background's tone.
        least = 0.5 if mode == "poisson" else 0.9
        for obj in derive_labels(s):
            assert changed[obj.full_mask()].mean() > least, (mode, obj.instance_id)
