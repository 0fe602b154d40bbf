import numpy as np
import pytest

from synthgen.labels import KP_ABSENT, KP_OCCLUDED, KP_VISIBLE, derive_labels
from synthgen.sample import Instance, Sample


def sample_with(instance_map, instances):
    h, w = instance_map.shape
    return Sample(np.zeros((h, w, 3), np.uint8), instance_map, instances)


def square(size):
    return np.ones((size, size), bool)


def test_occluded_object_keeps_only_its_visible_pixels():
    # Object 1: 20x20 at (10, 10). Object 2 on top covers its right half.
    imap = np.zeros((50, 60), np.uint16)
    imap[10:30, 10:30] = 1
    imap[5:35, 20:40] = 2
    objs = derive_labels(
        sample_with(
            imap,
            [
                Instance(1, "a", amodal_mask=square(20), amodal_origin=(10, 10)),
                Instance(2, "b", amodal_mask=np.ones((30, 20), bool), amodal_origin=(20, 5)),
            ],
        )
    )
    a, b = objs
    assert a.bbox_xyxy == (10, 10, 20, 30)
    assert a.area == 200
    assert a.visibility == pytest.approx(0.5)
    assert a.amodal_bbox_xyxy == (10, 10, 30, 30)
    assert b.visibility == 1.0


def test_below_min_visibility_is_dropped_everywhere():
    imap = np.zeros((50, 60), np.uint16)
    imap[10:30, 10:30] = 1
    imap[10:30, 12:30] = 2  # leaves 10 % of object 1
    instances = [
        Instance(
            1,
            "a",
            amodal_mask=square(20),
            amodal_origin=(10, 10),
            keypoints=np.array([[11.0, 11.0]]),
        ),
        Instance(2, "b", amodal_mask=np.ones((20, 18), bool), amodal_origin=(12, 10)),
    ]
    assert [o.instance_id for o in derive_labels(sample_with(imap, instances), 0.25)] == [2]
    assert [o.instance_id for o in derive_labels(sample_with(imap, instances), 0.05)] == [1, 2]


def test_fully_hidden_and_tiny_objects_are_dropped():
    imap = np.zeros((20, 20), np.uint16)
    imap[0:3, 0:3] = 2
    instances = [
        Instance(1, "a", amodal_mask=square(3), amodal_origin=(0, 0)),
        Instance(2, "b", amodal_mask=square(3), amodal_origin=(0, 0)),
    ]
    assert [o.instance_id for o in derive_labels(sample_with(imap, instances), min_area=9)] == [2]
    assert derive_labels(sample_with(imap, instances), min_area=10) == []


def test_truncation_at_the_border():
    # A 20x20 object placed at x=-10: half of it is outside the image.
    imap = np.zeros((40, 40), np.uint16)
    imap[5:25, 0:10] = 1
    (obj,) = derive_labels(
        sample_with(imap, [Instance(1, "a", amodal_mask=square(20), amodal_origin=(-10, 5))])
    )
    assert obj.bbox_xyxy == (0, 5, 10, 25)
    assert obj.truncation == pytest.approx(0.5)
    assert obj.visibility == pytest.approx(0.5)
    assert obj.amodal_bbox_xyxy == (-10, 5, 10, 25)


def test_object_with_a_hole_and_a_split_object():
    imap = np.zeros((40, 40), np.uint16)
    imap[5:25, 5:25] = 1
    imap[10:20, 10:20] = 0  # hole
    imap[5:25, 28:30] = 2
    imap[12:14, 26:40] = 3  # a bar across object 2 splits it into two parts
    objs = derive_labels(sample_with(imap, [Instance(1, "a"), Instance(2, "b"), Instance(3, "c")]))
    ring, split, _ = objs
    assert ring.area == 400 - 100 and len(ring.polygons) == 1
    assert len(split.polygons) == 2 and split.area == 40 - 4
    assert split.bbox_xyxy == (28, 5, 30, 25)
    assert np.array_equal(ring.full_mask(), imap == 1)


def test_keypoint_flags_visible_occluded_outside():
    imap = np.zeros((30, 30), np.uint16)
    imap[5:25, 5:25] = 1
    imap[5:25, 15:25] = 2  # covers the right half of object 1
    kps = np.array([[7.5, 10.5], [20.5, 10.5], [40.0, 10.0], [np.nan, np.nan], [5.0, 15.0]])
    inst = Instance(1, "a", amodal_mask=square(20), amodal_origin=(5, 5), keypoints=kps)
    (obj, _) = derive_labels(sample_with(imap, [inst, Instance(2, "b")]))
    assert obj.keypoints[:, 2].tolist() == [
        KP_VISIBLE,
        KP_OCCLUDED,
        KP_ABSENT,
        KP_ABSENT,
        KP_VISIBLE,
    ]
    assert obj.keypoints[2, :2].tolist() == [0, 0]  # COCO: unlabeled keypoints are (0, 0, 0)


def test_sample_validates_its_arrays():
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        Sample(np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.uint16), [])
    with pytest.raises(ValueError, match="does not match"):
        Sample(np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4), np.uint16), [])
    with pytest.raises(ValueError, match="not unique"):
        Sample(
            np.zeros((4, 4, 3), np.uint8),
            np.zeros((4, 4), np.uint16),
            [Instance(1, "a"), Instance(1, "b")],
        )


def test_keypoint_neighbourhood_matches_a_dilated_mask():
    # _near looks up each keypoint's 3x3 neighbourhood; its definition is "inside the
    # mask dilated by one pixel", checked here on random masks, points on all sides.
    import cv2

    from synthgen.labels import _near

    rng = np.random.default_rng(0)
    for _ in range(100):
        h, w = rng.integers(1, 12, 2)
        mask = rng.random((h, w)) < rng.random()
        origin = (int(rng.integers(-5, 5)), int(rng.integers(-5, 5)))
        k = int(rng.choice([3, 40]))  # a few keypoints (one by one) and many (one gather)
        px, py = rng.integers(-8, 20, k), rng.integers(-8, 20, k)
        big = np.zeros((40, 40), np.uint8)  # the dilation placed on a canvas at origin + 10
        big[origin[1] + 9 : origin[1] + h + 11, origin[0] + 9 : origin[0] + w + 11] = cv2.dilate(
            np.pad(mask.astype(np.uint8), 1), np.ones((3, 3), np.uint8)
        )
        expected = big[py + 10, px + 10] > 0
        assert np.array_equal(_near(mask, origin, px, py), expected)


def test_few_keypoints_get_the_flags_of_the_vectorized_path(monkeypatch):
    # Up to 8 keypoints are flagged one at a time in plain Python; the flags must be the
    # numpy path's: keypoints inside, outside, on pixel edges, covered and undefined.
    import synthgen.labels as labels

    def vectorized(sample, inst, visible):
        monkeypatch.setattr(labels, "_FEW", 0)
        out = labels.keypoint_visibility(sample, inst, visible, (2, 1))
        monkeypatch.setattr(labels, "_FEW", 8)
        return out

    rng = np.random.default_rng(5)
    for _ in range(300):
        imap = np.zeros((20, 24), np.uint16)
        imap[2:15, 3:18] = 1
        y, x = (int(v) for v in rng.integers(0, 18, 2))
        imap[y : y + 6, x : x + 8] = 2
        kps = rng.uniform(-3, 27, (int(rng.integers(1, 9)), 2))
        edges = rng.random(len(kps)) < 0.3  # on pixel edges
        kps[edges] = np.round(kps[edges])
        kps[rng.random(len(kps)) < 0.2] = np.nan
        amodal = None if rng.random() < 0.3 else rng.random((14, 16)) < 0.8
        inst = Instance(1, "a", amodal_mask=amodal, amodal_origin=(2, 1), keypoints=kps)
        sample = sample_with(imap, [inst, Instance(2, "b")])
        visible = imap[1:16, 2:19] == 1
        few = labels.keypoint_visibility(sample, inst, visible, (2, 1))
        assert np.array_equal(few, vectorized(sample, inst, visible), equal_nan=True)
