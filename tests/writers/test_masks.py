import cv2
import numpy as np
from PIL import Image

from tests.writers.conftest import known_sample


def test_instance_and_semantic_pngs(written):
    root = written("masks")
    inst = cv2.imread(str(root / "masks/instance/00000000.png"), cv2.IMREAD_UNCHANGED)
    assert inst.dtype == np.uint16
    assert np.array_equal(inst, known_sample().instance_map)  # ids 1, 2 in annotation order
    with Image.open(root / "masks/semantic/00000000.png") as img:
        assert img.mode == "P"
        sem = np.asarray(img)
        palette = img.getpalette()
    assert np.array_equal(sem, known_sample().instance_map)  # category ids happen to be 1, 2
    assert palette[:3] == [0, 0, 0] and palette[3:6] != palette[6:9]
