import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as coco_mask

from synthgen.geometry import (
    bbox_xyxy,
    mask_to_polygons,
    merge_polygons,
    polygon_area,
    rle_encode,
    to_cv_matrix,
    transform_points,
)


def decode_polygons(polys, h, w):
    rles = coco_mask.frPyObjects([p.ravel().tolist() for p in polys], h, w)
    return coco_mask.decode(coco_mask.merge(rles)).astype(bool)


def contract_mask():
    m = np.zeros((30, 40), bool)
    m[10:20, 5:25] = True  # columns 5..24, rows 10..19
    return m


def test_bbox_of_the_contract_example():
    assert bbox_xyxy(contract_mask()) == (5, 10, 25, 20)


def test_bbox_of_empty_mask_is_none():
    assert bbox_xyxy(np.zeros((5, 5), bool)) is None


def test_polygon_of_a_rectangle_runs_along_pixel_edges():
    (poly,) = mask_to_polygons(contract_mask())
    assert sorted(map(tuple, poly.tolist())) == [(5, 10), (5, 20), (25, 10), (25, 20)]
    assert polygon_area(poly) == 200


def test_single_pixel_and_offset():
    m = np.zeros((3, 3), bool)
    m[1, 1] = True
    (poly,) = mask_to_polygons(m, offset=(10, 20))
    assert sorted(map(tuple, poly.tolist())) == [(11, 21), (11, 22), (12, 21), (12, 22)]


def test_hole_is_kept_through_pycocotools():
    m = np.zeros((40, 40), bool)
    m[5:35, 5:35] = True
    m[15:25, 12:20] = False
    polys = mask_to_polygons(m)
    assert len(polys) == 1  # the hole is joined to its outline by a slit
    assert np.array_equal(decode_polygons(polys, 40, 40), m)


def test_split_object_gives_one_polygon_per_part():
    m = np.zeros((20, 40), bool)
    m[2:8, 2:10] = True
    m[10:18, 25:38] = True
    polys = mask_to_polygons(m)
    assert len(polys) == 2
    assert np.array_equal(decode_polygons(polys, 20, 40), m)
    merged = merge_polygons(polys)
    assert np.array_equal(decode_polygons([merged], 20, 40), m)


def test_diagonal_neighbours_and_one_pixel_lines():
    m = np.zeros((8, 8), bool)
    m[1, 1] = m[2, 2] = m[3, 3] = True  # touching at corners only
    m[5, 1:7] = True  # a one-pixel-thick line
    polys = mask_to_polygons(m)
    assert np.array_equal(decode_polygons(polys, 8, 8), m)
    assert sum(polygon_area(p) for p in polys) == m.sum()


@settings(max_examples=300, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 24), st.integers(1, 24))))
def test_polygons_decode_to_exactly_the_mask(m):
    polys = mask_to_polygons(m)
    if not m.any():
        assert polys == []
        return
    h, w = m.shape
    assert np.array_equal(decode_polygons(polys, h, w), m)
    assert np.array_equal(decode_polygons([merge_polygons(polys)], h, w), m)
    # Vertices are pixel corners, so the polygons' extent is the tight box exactly.
    pts = np.vstack(polys)
    x0, y0, x1, y1 = bbox_xyxy(m)
    assert (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()) == (x0, y0, x1, y1)


@settings(max_examples=200, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 20), st.integers(1, 20))), st.data())
def test_rle_of_a_patch_equals_pycocotools_encoding_of_the_full_mask(m, data):
    h, w = m.shape
    pad_top = data.draw(st.integers(0, 5))
    pad_left = data.draw(st.integers(0, 5))
    full = np.zeros((h + pad_top + 3, w + pad_left + 2), bool)
    full[pad_top : pad_top + h, pad_left : pad_left + w] = m
    rle = rle_encode(m, (pad_left, pad_top), full.shape)
    ref = coco_mask.encode(np.asfortranarray(full.astype(np.uint8)))
    assert rle["counts"] == ref["counts"].decode()
    assert rle["size"] == list(full.shape)


def test_rle_rejects_a_patch_outside_the_image():
    with pytest.raises(ValueError, match="leaves the image"):
        rle_encode(np.ones((4, 4), bool), (8, 0), (10, 10))


def test_cv_matrix_keeps_pixel_centres_aligned():
    # Scaling by 2 about the origin in continuous coordinates maps pixel [0,1) to [0,2):
    # warping a 1-pixel dot must give the 2x2 block at the top-left, not a shifted one.
    src = np.zeros((4, 4), np.float32)
    src[0, 0] = 1
    m = np.diag([2.0, 2.0, 1.0])
    out = cv2.warpAffine(src, to_cv_matrix(m)[:2], (8, 8), flags=cv2.INTER_NEAREST)
    assert np.array_equal(np.argwhere(out > 0), [[0, 0], [0, 1], [1, 0], [1, 1]])


def test_transform_points_is_projective():
    m = np.array([[2, 0, 1], [0, 2, 3], [0, 0, 1]], float)
    assert np.allclose(transform_points(m, np.array([[0.5, 0.5]])), [[2, 4]])


def test_bbox_of_bool_masks_and_views_matches_the_numpy_reductions():
    # bbox_xyxy takes OpenCV's boundingRect for bool masks: the same box as numpy's
    # reductions for patches, strided views, single pixels and empty masks.
    rng = np.random.default_rng(3)
    for _ in range(200):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        mask = rng.random((h, w)) < rng.choice([0.0, 0.002, 0.05, 0.5])
        for view in (mask, mask[1:, 2:], mask[::2], np.asfortranarray(mask)):
            rows, cols = np.flatnonzero(view.any(axis=1)), np.flatnonzero(view.any(axis=0))
            expected = (
                (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
                if rows.size
                else None
            )
            assert bbox_xyxy(view) == expected
