"""File helpers: atomic writes and image encoding/decoding with clear errors.

Every file is written to a temporary name and renamed, so a killed run never leaves a
truncated file under a final name. Images are encoded with OpenCV, several times faster
than Pillow for PNG and JPEG.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from synthgen.errors import AssetError

PARTIAL_SUFFIX = ".partial"
# Buffer of the text corpus files, which take a few hundred bytes per sentence: the default
# 8 kB would cost a system call every dozen sentences. (The manifest keeps the default: it
# shows a run's progress on disk.)
STREAM_BUFFER = 1 << 20


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` so that ``path`` is either absent, old, or complete."""
    tmp = path.with_name(path.name + PARTIAL_SUFFIX)
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def encode_image(rgb: np.ndarray, fmt: str, quality: int = 95) -> bytes:
    """Encodes an RGB(A) (HxWx3 or 4) or single-channel image; ``fmt`` is jpg, png or webp."""
    img = rgb
    if rgb.ndim == 3:
        img = cv2.cvtColor(rgb, cv2.COLOR_RGBA2BGRA if rgb.shape[2] == 4 else cv2.COLOR_RGB2BGR)
    params: list[int] = []
    if fmt == "jpg":
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif fmt == "webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, quality]
    # png: OpenCV's defaults (fast zlib, run-length strategy) beat an explicit level 3 on
    # our flat masks and depth, both in time (2-3x) and in size.
    ok, buf = cv2.imencode(f".{fmt}", img, params)
    if not ok:
        raise ValueError(f"OpenCV could not encode a {img.shape} {img.dtype} image as {fmt}")
    return buf.tobytes()


def read_image(path: Path, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    """Decodes an image file; channels come back RGB(A), not OpenCV's BGR(A).

    Raises AssetError naming the file when it is missing, empty or not an image. OpenCV
    pads a truncated file with grey instead of failing: ``verify_image`` catches that.
    """
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as err:
        raise AssetError(f"{path}: cannot read the file ({err.strerror})") from None
    if data.size == 0:
        raise AssetError(f"{path}: the file is empty; replace or remove it")
    img = cv2.imdecode(data, flags)
    if img is None:
        raise AssetError(f"{path}: not a readable image; replace or remove it")
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    return img


def verify_image(path: Path) -> None:
    """Fully decodes an image with Pillow, which reports truncated and corrupt data."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise AssetError(
            f"{path}: corrupt or truncated image ({err}); replace or remove it"
        ) from None


def quiet_opencv() -> None:
    """Silences OpenCV's stderr warnings: corrupt inputs are reported as AssetError instead."""
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
