import math
import subprocess
import sys

import cv2
import numpy as np
import pytest

from synthgen.generators.composite import procedural
from synthgen.generators.composite.procedural import (
    TRAFFIC_SIGNS,
    distractor_cutouts,
    street_backgrounds,
    traffic_sign_cutouts,
)
from synthgen.generators.composite.procedural import clutter as clutter_module
from synthgen.generators.composite.procedural import signs as signs_module
from synthgen.generators.composite.procedural import streets as streets_module

NAMES = ["stop", "yield", "speed_limit", "no_entry", "pedestrian_crossing", "parking"]
KEYPOINTS = ("center", "top", "bottom", "left", "right")

# Hashes everything a small build of module P makes; run here and in a fresh interpreter.
DIGEST = """
import hashlib

h = hashlib.sha256()
for cuts in P.traffic_sign_cutouts(variants=1, size=64).values():
    for c in cuts:
        h.update(c.rgba.tobytes())
        h.update(repr(sorted(c.keypoints.items())).encode())
for a in P.distractor_cutouts(count=8, size=48):
    h.update(a.tobytes())
for b in P.street_backgrounds(count=6, width=96, height=72):
    h.update(b.tobytes())
digest = h.hexdigest()
"""
# The fresh interpreter loads the module file alone: importing the package would add a
# second of start-up that has nothing to do with the module.
FRESH = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("procedural", {procedural.__file__!r})
P = sys.modules["procedural"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(P)
{DIGEST}
print(digest)
"""


@pytest.fixture(scope="module")
def signs():
    return traffic_sign_cutouts()


@pytest.fixture(scope="module")
def clutter():
    return distractor_cutouts()


@pytest.fixture(scope="module")
def backgrounds():
    return street_backgrounds()


def all_signs(signs):
    return [(name, cut) for name, cuts in signs.items() for cut in cuts]


def small_build_digest() -> str:
    scope: dict = {"P": procedural}
    exec(DIGEST, scope)
    return scope["digest"]


def edge_from_alpha(line: np.ndarray, inside: int, step: int) -> float:
    """Where an outline crosses a row or column of alpha: from the opaque pixel ``inside``
    towards ``step`` (+1 or -1), the summed coverage is the distance to the edge."""
    cover = line.astype(np.float64) / 255
    if step > 0:
        return inside + cover[inside:].sum()
    return inside + 1 - cover[: inside + 1].sum()


# ---------------------------------------------------------------------------- signs


def test_classes_share_keypoints_flip_pairs_and_skeleton():
    assert [spec.name for spec in TRAFFIC_SIGNS] == NAMES
    for spec in TRAFFIC_SIGNS:
        assert spec.keypoints == KEYPOINTS
        assert spec.flip_pairs == (("left", "right"),)
        assert spec.skeleton == (("left", "right"), ("top", "bottom"))


def test_sign_cutouts_per_class(signs):
    assert list(signs) == NAMES
    for name, cut in all_signs(signs):
        assert len(signs[name]) == 8
        assert cut.rgba.shape == (160, 160, 4) and cut.rgba.dtype == np.uint8
        assert set(cut.keypoints) == set(KEYPOINTS)
        assert all(isinstance(v, float) for xy in cut.keypoints.values() for v in xy)


def test_variants_differ(signs):
    for cuts in signs.values():
        assert len({cut.rgba.tobytes() for cut in cuts}) == len(cuts)
        assert len({cut.keypoints["center"] for cut in cuts}) == len(cuts)


@pytest.mark.parametrize("kind", ["signs", "clutter"])
def test_cutouts_are_contained_and_anti_aliased(kind, signs, clutter):
    images = [cut.rgba for _, cut in all_signs(signs)] if kind == "signs" else clutter
    for rgba in images:
        a = rgba[:, :, 3]
        assert a[0].max() == a[-1].max() == a[:, 0].max() == a[:, -1].max() == 0
        assert (a == 255).sum() > 500  # a solid object
        assert ((a > 0) & (a < 255)).sum() > 60  # with soft edges, not a binary mask


def test_keypoints_lie_on_the_sign_face(signs):
    for name, cut in all_signs(signs):
        alpha = cut.rgba[:, :, 3]
        cx, cy = cut.keypoints["center"]
        assert alpha[int(cy), int(cx)] == 255, name
        for kp, (x, y) in cut.keypoints.items():
            assert 0 < x < 160 and 0 < y < 160, (name, kp)
            if kp != "center":  # an extreme lies on the outline: look 2 px further in
                d = math.hypot(cx - x, cy - y)
                x, y = x + 2 * (cx - x) / d, y + 2 * (cy - y) / d
                assert alpha[int(y), int(x)] >= 128, (name, kp)


def test_keypoints_sit_exactly_on_the_outline(signs):
    """Where the outline crosses the face's axes, measured from the alpha coverage; the
    yield sign's lower apex and upper corners are corners, not edges, and are left out."""
    for name, cut in all_signs(signs):
        alpha = cut.rgba[:, :, 3]
        (cx, cy), k = cut.keypoints["center"], cut.keypoints
        col, row = int(cx), int(cy)
        # Within uint8 quantization; the discs' edges curve a little within the pixel.
        tol = 0.01
        assert edge_from_alpha(alpha[:, col], row, -1) == pytest.approx(k["top"][1], abs=tol)
        if name == "yield":
            continue
        if alpha[min(int(k["bottom"][1]) + 3, 159), col] == 0:  # no pole continues below
            assert edge_from_alpha(alpha[:, col], row, 1) == pytest.approx(k["bottom"][1], abs=tol)
        assert edge_from_alpha(alpha[row], col, -1) == pytest.approx(k["left"][0], abs=tol)
        assert edge_from_alpha(alpha[row], col, 1) == pytest.approx(k["right"][0], abs=tol)


@pytest.mark.parametrize(
    "name", ["stop", "speed_limit", "no_entry", "pedestrian_crossing", "parking"]
)
def test_symmetric_faces_have_mirrored_keypoints(signs, name):
    for cut in signs[name]:
        (cx, cy), k = cut.keypoints["center"], cut.keypoints
        assert abs((cx - k["left"][0]) - (k["right"][0] - cx)) < 1
        assert abs((cy - k["top"][1]) - (k["bottom"][1] - cy)) < 1
        assert k["left"][1] == k["right"][1] == cy and k["top"][0] == k["bottom"][0] == cx
        if name in ("stop", "speed_limit", "no_entry"):  # the octagon and discs are regular
            assert k["right"][0] - k["left"][0] == pytest.approx(k["bottom"][1] - k["top"][1])


def test_yield_keypoints_follow_the_inverted_triangle(signs):
    for cut in signs["yield"]:
        k = cut.keypoints
        assert k["left"][1] == k["top"][1] == k["right"][1]  # the top edge
        assert k["bottom"][0] == k["top"][0] == k["center"][0]
        assert k["bottom"][1] > k["center"][1] > k["top"][1]
        assert k["center"][1] == pytest.approx(k["top"][1] + (k["bottom"][1] - k["top"][1]) / 3)
        assert k["top"][0] == pytest.approx((k["left"][0] + k["right"][0]) / 2)


def test_some_signs_stand_on_a_pole(signs):
    poles = 0
    for _, cut in all_signs(signs):
        (cx, _), (_, bottom) = cut.keypoints["center"], cut.keypoints["bottom"]
        below = cut.rgba[int(bottom) + 3 :, int(cx), 3]
        poles += bool((below == 255).any())
    assert 5 < poles < 43


# ---------------------------------------------------------------------------- clutter


def test_clutter_shapes_and_variety(clutter):
    assert len(clutter) == 24
    assert all(c.shape == (128, 128, 4) and c.dtype == np.uint8 for c in clutter)
    means = np.array([c[..., :3][c[..., 3] == 255].mean(axis=0) for c in clutter])
    assert means.std(axis=0).min() > 20  # varied colours
    fill = [(c[..., 3] > 0).mean() for c in clutter]
    assert max(fill) - min(fill) > 0.2  # varied shapes


def test_some_clutter_has_holes(clutter):
    """A tyre (or a rim) the background shows through: clear pixels enclosed by the object."""

    def clear_regions(rgba):
        return cv2.connectedComponents((rgba[..., 3] == 0).astype(np.uint8), connectivity=4)[0] - 1

    assert sum(clear_regions(c) > 1 for c in clutter) >= 2


# ------------------------------------------------------------------------ backgrounds


def test_backgrounds_are_varied_textured_rgb(backgrounds):
    assert len(backgrounds) == 16
    assert all(b.shape == (600, 800, 3) and b.dtype == np.uint8 for b in backgrounds)
    small = [
        cv2.resize(b, (80, 60), interpolation=cv2.INTER_AREA).astype(float) for b in backgrounds
    ]
    for i in range(len(small)):
        for j in range(i):
            assert np.abs(small[i] - small[j]).mean() > 10, (i, j)
    for b in backgrounds:
        grey = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY)
        assert grey.std() > 15  # content, not a flat fill
        assert cv2.Laplacian(grey, cv2.CV_64F).var() > 5  # and fine texture


def test_background_size_follows_the_arguments():
    (b,) = street_backgrounds(count=1, width=200, height=100)
    assert b.shape == (100, 200, 3)


# --------------------------------------------------------------- caching and seeding


def test_repeated_calls_share_read_only_arrays(signs, clutter, backgrounds):
    assert traffic_sign_cutouts()["stop"][0] is signs["stop"][0]
    assert distractor_cutouts()[3] is clutter[3]
    assert street_backgrounds()[5] is backgrounds[5]
    for array in (signs["parking"][2].rgba, clutter[0], backgrounds[0]):
        with pytest.raises(ValueError, match="read-only"):
            array[0, 0] = 0
    listed = distractor_cutouts()
    listed.clear()  # callers get their own lists
    assert len(distractor_cutouts()) == 24


def test_asking_for_more_keeps_the_first_ones(signs, clutter, backgrounds):
    few = traffic_sign_cutouts(variants=2)
    for name in NAMES:
        for a, b in zip(few[name], signs[name][:2], strict=True):
            assert np.array_equal(a.rgba, b.rgba) and a.keypoints == b.keypoints
    assert all(
        np.array_equal(a, b) for a, b in zip(distractor_cutouts(count=3), clutter, strict=False)
    )
    assert np.array_equal(street_backgrounds(count=1)[0], backgrounds[0])


def test_building_again_gives_the_same_bytes():
    """The cached builders, called again uncached, draw the very same arrays."""
    signs = signs_module._sign_sets(1, 64), signs_module._sign_sets.__wrapped__(1, 64)
    for a, b in zip(*(sum(s, ()) for s in signs), strict=True):
        assert a is not b and a.keypoints == b.keypoints and np.array_equal(a.rgba, b.rgba)
    for builder, args in [
        (clutter_module._clutter_set, (8, 48)),
        (streets_module._background_set, (6, 96, 72)),
    ]:
        for a, b in zip(builder(*args), builder.__wrapped__(*args), strict=True):
            assert a is not b and np.array_equal(a, b)


def test_a_fresh_process_draws_the_same_bytes():
    fresh = subprocess.run(
        [sys.executable, "-c", FRESH], capture_output=True, text=True, check=True
    )
    assert fresh.stdout.strip() == small_build_digest()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: traffic_sign_cutouts(variants=0), "variants must be at least 1, got 0"),
        (lambda: traffic_sign_cutouts(size=20), "size must be at least 48, got 20"),
        (lambda: distractor_cutouts(count=-1), "count must be at least 1, got -1"),
        (lambda: street_backgrounds(width=10), "width must be at least 64, got 10"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
