"""Metric depth maps: ``depth/<stem>.png`` (16-bit millimetres) or ``depth/<stem>.npz``.

Depth is z-depth: the distance along the camera's optical axis (OpenCV z), not along the
ray through the pixel; 0 means no surface (background). ``png16`` stores whole
millimetres as uint16 (read it with ``cv2.imread(path, cv2.IMREAD_UNCHANGED) / 1000`` for
metres); surfaces farther than 65.535 m do not fit and are written as 0, counted and
reported as a warning. ``npz`` stores float32 metres under the key ``depth``
(``np.load(path)["depth"]``), with no loss. ``depth/info.json`` says all of this for the
dataset at hand.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from typing import Any, Literal

import numpy as np
import orjson
from pydantic import Field

from synthgen.files import atomic_write_bytes, atomic_write_text, encode_image
from synthgen.writers.base import Fragment, LabeledSample, Writer, WriterConfig, WriterError

DEPTH_DIR = "depth"
INFO_FILE = f"{DEPTH_DIR}/info.json"
PNG16_MAX = 65535


class DepthWarning(UserWarning):
    """Depth values that a format cannot hold were written as 'no surface'."""


class DepthConfig(WriterConfig):
    encoding: Literal["png16", "npz"] = Field(
        "png16", description="png16 (uint16 millimetres, 0 = none) or npz (float32 metres)"
    )


def depth_to_uint16(depth_m: np.ndarray, unit_mm: float = 1.0) -> tuple[np.ndarray, int]:
    """z-depth in metres to uint16 in units of ``unit_mm`` millimetres, rounded.

    Returns the image and how many surface pixels were too far to fit (written as 0).

    >>> image, too_far = depth_to_uint16(np.array([[0.0, 1.2344, 70.0]]))
    >>> image.tolist(), too_far
    ([[0, 1234, 0]], 1)
    """
    units = np.rint(depth_m.astype(np.float64) * (1000.0 / unit_mm))
    too_far = units > PNG16_MAX
    units[too_far] = 0
    return units.astype(np.uint16), int(np.count_nonzero(too_far))


def npz_bytes(**arrays: np.ndarray) -> bytes:
    """An .npz archive whose bytes depend only on the arrays.

    ``np.savez_compressed`` stamps each member with the current time, which would break
    byte-identical reruns; here every member gets the zip epoch instead.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, member.getvalue())
    return buf.getvalue()


def require_depth(sample: LabeledSample, fmt: str) -> np.ndarray:
    """The sample's depth map, or a clear error naming the format."""
    if sample.depth is None:
        raise WriterError(
            f"format '{fmt}' needs depth, but sample {sample.image.index} has none: only 3D "
            f"generators (scene3d) render depth; remove '{fmt}' from output.formats"
        )
    if not np.isfinite(sample.depth).all() or sample.depth.min() < 0:
        raise WriterError(
            f"sample {sample.image.index}: depth has negative or non-finite values; the "
            "generator must write 0 where there is no surface"
        )
    return sample.depth


class DepthWriter(Writer):
    """Per-image metric z-depth under depth/: 16-bit PNG in mm, or float32 metres in .npz."""

    name = "depth"
    config_type = DepthConfig
    owns = (DEPTH_DIR,)
    config: DepthConfig

    def write(self, sample: LabeledSample) -> Any:
        depth = require_depth(sample, self.name)
        stem = sample.image.stem
        if self.config.encoding == "npz":
            data = npz_bytes(depth=depth.astype(np.float32))
            atomic_write_bytes(self.root / DEPTH_DIR / f"{stem}.npz", data)
            return None
        units, clipped = depth_to_uint16(depth)
        atomic_write_bytes(self.root / DEPTH_DIR / f"{stem}.png", encode_image(units, "png"))
        return {"clipped": clipped} if clipped else None

    def begin(self) -> None:
        self._clipped = self._clipped_images = 0

    def add(self, fragment: Fragment) -> None:
        if fragment.data:
            self._clipped += fragment.data["clipped"]
            self._clipped_images += 1

    def end(self) -> None:
        atomic_write_text(self.root / INFO_FILE, orjson.dumps(self._info()).decode() + "\n")
        if self._clipped:
            warnings.warn(
                f"depth: {self._clipped} pixels in {self._clipped_images} images lie beyond "
                f"{PNG16_MAX} mm and were written as 0 (no surface); use encoding: npz to keep "
                "them",
                DepthWarning,
                stacklevel=2,
            )

    def _info(self) -> dict[str, Any]:
        common = {
            "quantity": "z-depth: distance along the camera's optical axis, not along the ray",
            "no_surface": 0,
        }
        if self.config.encoding == "npz":
            return {
                "encoding": "npz",
                "files": f"{DEPTH_DIR}/<stem>.npz",
                "key": "depth",
                "dtype": "float32",
                "units": "metres",
                **common,
            }
        return {
            "encoding": "png16",
            "files": f"{DEPTH_DIR}/<stem>.png",
            "dtype": "uint16",
            "units": "millimetres",
            "to_metres": 0.001,
            "max_mm": PNG16_MAX,
            **common,
            "clipped_pixels": self._clipped,
        }
