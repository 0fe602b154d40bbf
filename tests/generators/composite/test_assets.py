import cv2
import numpy as np
import pytest

from synthgen.errors import AssetError
from synthgen.recipe import build_recipe
from tests.helpers import base_recipe


def check(assets):
    build_recipe(base_recipe(), base_dir=assets).generator().check()


def test_class_folder_without_cutouts(assets):
    for f in (assets / "cutouts/square").iterdir():
        f.unlink()
    with pytest.raises(AssetError, match="class 'square' has no cutout images"):
        check(assets)


def test_cutout_without_alpha_or_mask(assets):
    cv2.imwrite(str(assets / "cutouts/ring/flat.jpg"), np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(AssetError, match=r"flat.jpg: no alpha channel and no mask.*flat.mask.png"):
        check(assets)


@pytest.mark.parametrize(
    "name", ["cutouts/ring/ring0.png", "backgrounds/bg0.jpg", "cutouts/square/sq0.mask.png"]
)
def test_truncated_image_is_named(assets, name):
    path = assets / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(AssetError, match=rf"{path.name}: corrupt or truncated image"):
        check(assets)


def test_not_an_image(assets):
    (assets / "backgrounds/notes.png").write_text("hello")
    with pytest.raises(AssetError, match=r"notes\.png"):
        check(assets)


def test_empty_file(assets):
    (assets / "cutouts/ring/empty.png").write_bytes(b"")
    with pytest.raises(AssetError, match=r"empty\.png"):
        check(assets)


def test_empty_background_folder(assets):
    for f in (assets / "backgrounds").iterdir():
        f.unlink()
    with pytest.raises(AssetError, match="no background images found"):
        check(assets)


def test_listed_class_without_a_folder(assets):
    data = base_recipe()
    data["generator"]["objects"]["source"]["classes"].append("cat")
    with pytest.raises(AssetError, match="folder for class 'cat' not found"):
        build_recipe(data, base_dir=assets).generator()


def test_fully_transparent_cutout(assets):
    cv2.imwrite(str(assets / "cutouts/ring/clear.png"), np.zeros((10, 10, 4), np.uint8))
    with pytest.raises(AssetError, match="fully transparent"):
        check(assets)


def test_keypoint_not_declared_for_the_class(assets):
    (assets / "cutouts/ring/ring0.json").write_text('{"keypoints": {"nose": [1, 2]}}')
    with pytest.raises(AssetError, match="keypoint 'nose' is not declared"):
        check(assets)


def test_mask_of_another_size(assets):
    cv2.imwrite(str(assets / "cutouts/square/sq0.mask.png"), np.full((5, 5), 255, np.uint8))
    with pytest.raises(AssetError, match="mask size"):
        check(assets)
