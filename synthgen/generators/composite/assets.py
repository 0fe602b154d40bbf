"""Cutouts and backgrounds: indexed from folders (or built in), checked, decoded lazily.

Asset ids are stable strings (a path relative to the source folder, or ``name#k`` for
built-ins) so that plans, and therefore samples, do not depend on the machine.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from synthgen.config import resolve_path
from synthgen.errors import AssetError
from synthgen.files import read_image, verify_image
from synthgen.generators.classes import ClassSpec, index_class_folders
from synthgen.generators.composite import paste
from synthgen.generators.composite.config import BackgroundSource, CutoutSource

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
MASK_SUFFIXES = (".mask.png", "_mask.png")
CACHE_BYTES = 512 * 2**20


@dataclass(frozen=True)
class Cutout:
    """An object image cropped to its opaque pixels plus a clear 1-pixel border.

    ``rgba`` is uint8 with straight alpha and its edge colour bled into the transparent
    pixels (see ``paste.bleed``); ``luma`` the mean luma of its opaque pixels (the pivot of
    contrast jitter); ``keypoints`` (K, 2) in its own continuous coordinates, NaN where absent.
    """

    rgba: np.ndarray
    luma: float
    keypoints: np.ndarray | None = None
    pyramid: tuple[np.ndarray, ...] = ()  # rgba halved again and again, for small pastes

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)"""
        return self.rgba.shape[1], self.rgba.shape[0]

    @property
    def nbytes(self) -> int:
        return self.rgba.nbytes + sum(level.nbytes for level in self.pyramid)


class _LRU:
    """Decoded arrays by key, bounded by total bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.items: OrderedDict[str, Any] = OrderedDict()

    def get(self, key: str, load: Callable[[], Any], nbytes: Callable[[Any], int]) -> Any:
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = load()
        self.items[key] = value
        self.bytes += nbytes(value)
        while self.bytes > self.max_bytes and len(self.items) > 1:
            _, old = self.items.popitem(last=False)
            self.bytes -= nbytes(old)
        return value


def _image_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in IMAGE_SUFFIXES
        and not p.name.lower().endswith(MASK_SUFFIXES)
    )


def _mask_file(image: Path) -> Path | None:
    for suffix in MASK_SUFFIXES:
        candidate = image.with_name(image.stem + suffix)
        if candidate.exists():
            return candidate
    return None


class CutoutLibrary:
    """Cutouts of each class. ``labeled=False`` (distractors) puts every image in one pool."""

    def __init__(self, source: CutoutSource, base_dir: Path, *, labeled: bool) -> None:
        self.source = source
        self.labeled = labeled
        self._cache = _LRU(CACHE_BYTES)
        if source.builtin is not None:
            self.root: Path | None = None
            self.classes, self.assets = _builtin_index(source.builtin)
        else:
            assert source.dir is not None
            self.root = resolve_path(source.dir, base_dir)
            self.classes, self.assets = _folder_index(self.root, source.classes, labeled)

    def get(self, asset_id: str) -> Cutout:
        return self._cache.get(asset_id, lambda: self._load(asset_id), lambda c: c.nbytes)

    def _load(self, asset_id: str) -> Cutout:
        if self.root is None:
            return _builtin_cutout(asset_id)
        cls = asset_id.split("/")[0] if self.labeled and "/" in asset_id else None
        spec = next((c for c in self.classes if c.name == cls), None)
        return load_cutout(self.root / asset_id, spec.keypoints if spec else ())

    def check(self, fits: Callable[[Cutout], str | None]) -> None:
        """Decodes every cutout once; ``fits`` returns a problem with its size, or None.

        Built-ins are drawn by synthgen itself: only the user's files need checking.
        """
        if self.root is None:
            return
        for assets in self.assets.values():
            for asset_id in assets:
                verify_image(self.root / asset_id)
                mask = _mask_file(self.root / asset_id)
                if mask is not None:
                    verify_image(mask)
                cutout = self._load(asset_id)
                problem = fits(cutout)
                if problem:
                    raise AssetError(f"{self._where(asset_id)}: {problem}")

    def _where(self, asset_id: str) -> str:
        return str(self.root / asset_id) if self.root else f"built-in cutout {asset_id}"

    def fingerprint(self) -> list[Any]:
        if self.root is None:
            return _builtin_fingerprint(self.source.builtin)
        return [[a, (self.root / a).stat().st_size] for ids in self.assets.values() for a in ids]


def _builtin_fingerprint(name: str | None) -> list[Any]:
    """Built-ins are drawn with OpenCV and Pillow: other versions may draw other pixels."""
    import PIL

    return [name, f"opencv {cv2.__version__}", f"pillow {PIL.__version__}"]


def _builtin_index(name: str) -> tuple[list[ClassSpec], dict[str, list[str]]]:
    from synthgen.generators.composite import procedural

    # Ids only: the pixels are drawn lazily, in the workers that use them.
    if name == "traffic_signs":
        classes = [
            ClassSpec(
                name=c.name, keypoints=c.keypoints, flip_pairs=c.flip_pairs, skeleton=c.skeleton
            )
            for c in procedural.TRAFFIC_SIGNS
        ]
        n = procedural.SIGN_VARIANTS
        return classes, {c.name: [f"{c.name}#{k}" for k in range(n)] for c in classes}
    n = procedural.CLUTTER_COUNT
    return [ClassSpec(name="clutter")], {"clutter": [f"clutter#{k}" for k in range(n)]}


def _builtin_cutout(asset_id: str) -> Cutout:
    from synthgen.generators.composite import procedural

    name, _, k = asset_id.partition("#")
    if name == "clutter":
        return _trim(procedural.distractor_cutouts()[int(k)], None)
    spec = next(c for c in procedural.TRAFFIC_SIGNS if c.name == name)
    item = procedural.traffic_sign_cutouts()[name][int(k)]
    kp = np.array([item.keypoints[n] for n in spec.keypoints], dtype=np.float64)
    return _trim(item.rgba, kp)


def _folder_index(
    root: Path, classes: list[ClassSpec] | None, labeled: bool
) -> tuple[list[ClassSpec], dict[str, list[str]]]:
    return index_class_folders(
        root,
        classes,
        lambda folder: [f.name for f in _image_files(folder)],
        labeled=labeled,
        kind="cutout images",
        example="cutouts/cat/*.png",
    )


def load_cutout(path: Path, keypoint_names: tuple[str, ...] = ()) -> Cutout:
    """Reads a cutout (RGBA, or RGB + ``<stem>.mask.png``) and its keypoints sidecar."""
    img = read_image(path)
    if img.dtype != np.uint8:
        img = (img / (np.iinfo(img.dtype).max / 255)).round().astype(np.uint8)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4 and _mask_file(path) is None:
        rgba = img
    else:
        mask_path = _mask_file(path)
        if mask_path is None:
            raise AssetError(
                f"{path}: no alpha channel and no mask; save it as RGBA PNG or add "
                f"{path.stem}.mask.png (white = object)"
            )
        mask = read_image(mask_path, cv2.IMREAD_GRAYSCALE)
        if mask.shape != img.shape[:2]:
            raise AssetError(
                f"{mask_path}: mask size {mask.shape[::-1]} differs from its image "
                f"{img.shape[1::-1]}"
            )
        rgba = np.dstack([img[:, :, :3], mask])
    keypoints = _read_keypoints(path, keypoint_names) if keypoint_names else None
    if not (rgba[:, :, 3] > 0).any():
        raise AssetError(f"{path}: the cutout is fully transparent (empty alpha or mask)")
    return _trim(rgba, keypoints)


def _read_keypoints(path: Path, names: tuple[str, ...]) -> np.ndarray:
    sidecar = path.with_suffix(".json")
    points = np.full((len(names), 2), np.nan)
    if not sidecar.exists():
        return points
    try:
        given = json.loads(sidecar.read_text())["keypoints"]
        for name, xy in given.items():
            if name not in names:
                raise AssetError(
                    f"{sidecar}: keypoint '{name}' is not declared for this class "
                    f"(declared: {', '.join(names)})"
                )
            points[names.index(name)] = [float(xy[0]), float(xy[1])]
    except (json.JSONDecodeError, KeyError, TypeError, IndexError, ValueError) as err:
        raise AssetError(
            f'{sidecar}: expected {{"keypoints": {{"name": [x, y], ...}}}} ({err})'
        ) from None
    return points


def _trim(rgba: np.ndarray, keypoints: np.ndarray | None) -> Cutout:
    """Crops to the non-transparent pixels, keeping one clear pixel all around."""
    alpha = rgba[:, :, 3]
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = cv2.copyMakeBorder(
        np.ascontiguousarray(rgba[y0:y1, x0:x1]), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0
    )
    opaque = crop[:, :, 3] > 0
    luma = float((crop[:, :, :3][opaque] @ [0.299, 0.587, 0.114]).mean())
    bled = paste.bleed(crop)
    bled.flags.writeable = False
    if keypoints is not None:
        keypoints = keypoints - [x0 - 1, y0 - 1]
    return Cutout(bled, luma, keypoints, paste.halvings(bled))


class BackgroundLibrary:
    """Background images; a larger one is shrunk once on load until it just covers the
    canvas, so every later crop only ever grows: cheap and free of aliasing."""

    def __init__(self, source: BackgroundSource, base_dir: Path, canvas: tuple[int, int]) -> None:
        self.source = source
        self.canvas = canvas  # (width, height)
        self._cache = _LRU(CACHE_BYTES)
        if source.builtin is not None:
            from synthgen.generators.composite import procedural

            self.root: Path | None = None
            self.ids = [f"streets#{k}" for k in range(procedural.BACKGROUND_COUNT)]
        else:
            assert source.dir is not None
            self.root = resolve_path(source.dir, base_dir)
            files = _image_files(self.root)
            if not files:
                raise AssetError(f"{self.root}: no background images found (png, jpg, webp, ...)")
            self.ids = [f.name for f in files]

    def get(self, bg_id: str) -> np.ndarray:
        return self._cache.get(bg_id, lambda: self._load(bg_id), lambda a: a.nbytes)

    def plan(self, rng: np.random.Generator) -> dict[str, Any]:
        """Picks a background and a canvas-shaped crop of it (whole pixels), maybe mirrored."""
        cfg = self.source
        bg_id = self.ids[int(rng.integers(len(self.ids)))]
        bh, bw = self.get(bg_id).shape[:2]
        width, height = self.canvas
        if cfg.fit == "stretch":
            crop = [0, 0, bw, bh]
        else:
            # The largest canvas-shaped window that fits, shrunk by the zoom, placed at random.
            # Whole pixels: a crop then resizes in one cheap pass, off by < 1 px of aspect.
            fit = min(bw / width, bh / height) / cfg.zoom.sample(rng)
            cw, ch = min(max(round(width * fit), 1), bw), min(max(round(height * fit), 1), bh)
            x, y = int(rng.integers(0, bw - cw + 1)), int(rng.integers(0, bh - ch + 1))
            crop = [x, y, cw, ch]
        return {"id": bg_id, "crop": crop, "flip": bool(rng.random() < cfg.flip)}

    def render(self, plan: dict[str, Any]) -> np.ndarray:
        """The planned crop at canvas size (RGB uint8)."""
        src = self.get(plan["id"])
        x, y, w, h = plan["crop"]
        width, height = self.canvas
        # Stored backgrounds just cover the canvas, so a crop only ever grows (except in
        # 'stretch', which may squeeze one axis): bilinear is fast and does not alias.
        shrink = w > width * 1.01 or h > height * 1.01
        interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        out = cv2.resize(src[y : y + h, x : x + w], (width, height), interpolation=interp)
        return cv2.flip(out, 1) if plan["flip"] else out

    def _load(self, bg_id: str) -> np.ndarray:
        if self.root is None:
            from synthgen.generators.composite import procedural

            img = procedural.street_backgrounds()[int(bg_id.partition("#")[2])]
        else:
            img = read_image(self.root / bg_id, cv2.IMREAD_COLOR)
        width, height = self.canvas
        shrink = max(width / img.shape[1], height / img.shape[0])
        if shrink < 1:
            size = (round(img.shape[1] * shrink), round(img.shape[0] * shrink))
            img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        img = np.ascontiguousarray(img)
        img.flags.writeable = False
        return img

    def check(self) -> None:
        if self.root is None:
            return
        for bg_id in self.ids:
            verify_image(self.root / bg_id)
            self._load(bg_id)

    def fingerprint(self) -> list[Any]:
        if self.root is None:
            return _builtin_fingerprint(self.source.builtin)
        return [[b, (self.root / b).stat().st_size] for b in self.ids]
