"""Photometric profiles: they change pixel values only, never where anything is.

None of them touches the instance map, the masks or the keypoints, so every label stays
exactly as it was (an untouched instance read from a dataset keeps its source label).
albumentations does the work where it has the effect (rain, snow, sun glare, defocus,
lens dirt as mud spatter, sensor noise, JPEG, motion blur), with every parameter fixed by
the plan and its rng seeded from it; night, fog and overexposure are tone curves and a
haze model it lacks (fog uses ``Sample.depth`` when there is one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

import cv2
import numpy as np
from pydantic import Field

from synthgen.augment.base import Op, Step, draw_seed, rounded
from synthgen.config import FloatRange, IntRange, within
from synthgen.generators.document import degrade
from synthgen.imageops import albu, jpeg, motion_blur


class NightConfig(Op):
    """Low light: a dark gamma curve, a blue cast, then sensor (ISO) noise."""

    op: Literal["night"] = "night"
    gamma: Annotated[FloatRange, within(ge=1, le=5)] = Field(
        FloatRange(min=1.8, max=3.0), description="tone-curve exponent (larger: darker shadows)"
    )
    gain: Annotated[FloatRange, within(gt=0, le=1)] = Field(
        FloatRange(min=0.3, max=0.6), description="brightness factor after the curve"
    )
    noise: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.2, max=0.6), description="ISO noise intensity"
    )

    def draw(self, rng: np.random.Generator) -> Step:
        return {
            "op": self.op,
            "gamma": rounded(self.gamma.sample(rng)),
            "gain": rounded(self.gain.sample(rng)),
            "noise": rounded(self.noise.sample(rng)),
            "seed": draw_seed(rng),
        }


class FogConfig(Op):
    """Haze: ``I t + A (1 - t)`` with transmission t falling with distance.

    Distance is the sample's depth when it has one (``mode: auto``), else the height in the
    image (the top is far), or the same everywhere (``mode: uniform``).
    """

    op: Literal["fog"] = "fog"
    density: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.4, max=0.8), description="share of airlight at the farthest point"
    )
    airlight: Annotated[IntRange, within(ge=0, le=255)] = Field(
        IntRange(min=200, max=240), description="grey level of the fog"
    )
    mode: Literal["auto", "depth", "height", "uniform"] = "auto"

    def draw(self, rng: np.random.Generator) -> Step:
        return {
            "op": self.op,
            "density": rounded(self.density.sample(rng)),
            "airlight": self.airlight.sample(rng),
            "mode": self.mode,
        }


class RainConfig(Op):
    op: Literal["rain"] = "rain"
    slant: Annotated[FloatRange, within(ge=-20, le=20)] = Field(
        FloatRange(min=-10.0, max=10.0), description="drop slant in degrees"
    )
    kind: Literal["drizzle", "heavy", "torrential", "any"] = "any"
    brightness: Annotated[FloatRange, within(gt=0, le=1)] = Field(
        FloatRange(min=0.7, max=0.9), description="brightness factor of the rainy image"
    )

    def draw(self, rng: np.random.Generator) -> Step:
        kinds = ["drizzle", "heavy", "torrential"]
        kind = kinds[int(rng.integers(3))] if self.kind == "any" else self.kind
        return {
            "op": self.op,
            "slant": rounded(self.slant.sample(rng)),
            "kind": kind,
            "brightness": rounded(self.brightness.sample(rng)),
            "seed": draw_seed(rng),
        }


class SnowConfig(Op):
    op: Literal["snow"] = "snow"
    amount: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.1, max=0.3), description="share of the image bleached by snow"
    )
    brightness: Annotated[FloatRange, within(ge=1, le=5)] = Field(
        FloatRange(min=1.5, max=2.5), description="brightening of snowy pixels"
    )

    def draw(self, rng: np.random.Generator) -> Step:
        return {
            "op": self.op,
            "amount": rounded(self.amount.sample(rng)),
            "brightness": rounded(self.brightness.sample(rng)),
            "seed": draw_seed(rng),
        }


class SunGlareConfig(Op):
    """A sun flare in the upper half of the image."""

    op: Literal["sun_glare"] = "sun_glare"
    radius: Annotated[FloatRange, within(gt=0, le=1)] = Field(
        FloatRange(min=0.15, max=0.35), description="sun radius, fraction of the longer side"
    )
    circles: Annotated[IntRange, within(ge=0, le=20)] = Field(
        IntRange(min=4, max=8), description="number of lens flare circles"
    )

    def draw(self, rng: np.random.Generator) -> Step:
        return {
            "op": self.op,
            "radius": rounded(self.radius.sample(rng)),
            "circles": self.circles.sample(rng),
            "angle": rounded(rng.random()),
            "seed": draw_seed(rng),
        }


class MotionBlurConfig(degrade.MotionBlurConfig, Op):
    """Camera shake over the whole image (the document degradation's op, longer kernels)."""

    length: Annotated[IntRange, within(ge=3, le=63)] = Field(
        IntRange(min=7, max=21), description="kernel length in pixels; only odd lengths are drawn"
    )


class DefocusConfig(Op):
    op: Literal["defocus"] = "defocus"
    radius: Annotated[IntRange, within(ge=1, le=30)] = Field(
        IntRange(min=3, max=8), description="disc radius in pixels"
    )

    def draw(self, rng: np.random.Generator) -> Step:
        return {"op": self.op, "radius": self.radius.sample(rng), "alias": rounded(rng.random())}


class OverexposureConfig(Op):
    """Too much light: a gain of ``2^ev`` with blown, clipped highlights."""

    op: Literal["overexposure"] = "overexposure"
    ev: Annotated[FloatRange, within(ge=0, le=5)] = Field(
        FloatRange(min=0.8, max=1.8), description="exposure steps (stops) above the source"
    )

    def draw(self, rng: np.random.Generator) -> Step:
        return {"op": self.op, "ev": rounded(self.ev.sample(rng))}


class JpegConfig(Op):
    op: Literal["jpeg"] = "jpeg"
    quality: Annotated[IntRange, within(ge=1, le=100)] = Field(
        IntRange(min=10, max=40), description="JPEG quality"
    )

    def draw(self, rng: np.random.Generator) -> Step:
        return {"op": self.op, "quality": self.quality.sample(rng)}


class LensDirtConfig(Op):
    """Mud spots on the lens (albumentations' Spatter, mud mode)."""

    op: Literal["lens_dirt"] = "lens_dirt"
    intensity: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.4, max=0.7), description="opacity of the dirt"
    )
    coverage: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.6, max=0.7), description="spot threshold (higher: fewer, smaller spots)"
    )

    def draw(self, rng: np.random.Generator) -> Step:
        return {
            "op": self.op,
            "intensity": rounded(self.intensity.sample(rng)),
            "coverage": rounded(self.coverage.sample(rng)),
            "seed": draw_seed(rng),
        }


# ---------------------------------------------------------------------------- apply


def _lut(curve: np.ndarray) -> np.ndarray:
    return np.clip(np.round(curve), 0, 255).astype(np.uint8)


_LEVELS = np.arange(256, dtype=np.float64) / 255.0
# A moonlit scene: red fades first, blue last (the Purkinje shift, roughly).
_NIGHT_TINT = (0.75, 0.9, 1.1)


def _night(image: np.ndarray, step: Step, depth: np.ndarray | None) -> np.ndarray:
    import albumentations as A  # noqa: N812 (loaded on first use: ~1 s a process)

    curve = 255.0 * _LEVELS ** step["gamma"] * step["gain"]
    luts = [_lut(curve * t) for t in _NIGHT_TINT]
    dark = cv2.merge([cv2.LUT(np.ascontiguousarray(image[..., c]), luts[c]) for c in range(3)])
    n = step["noise"]
    return albu(A.ISONoise(color_shift=(0.03, 0.03), intensity=(n, n), p=1.0), dark, step["seed"])


def _fog(image: np.ndarray, step: Step, depth: np.ndarray | None) -> np.ndarray:
    h, w = image.shape[:2]
    mode = step["mode"]
    if mode == "auto":
        mode = "depth" if depth is not None and np.any(depth > 0) else "height"
    if mode == "depth":
        if depth is None or not np.any(depth > 0):
            raise ValueError("fog mode 'depth' needs a sample with depth; use mode auto")
        far = float(depth.max())
        # Background (depth 0) is the sky or beyond: as far as anything.
        dist = np.where(depth > 0, depth / far, 1.0).astype(np.float32)
    elif mode == "height":
        dist = np.repeat(np.linspace(1.0, 0.3, h, dtype=np.float32)[:, None], w, axis=1)
    else:
        dist = np.ones((h, w), np.float32)
    t = np.power(np.float32(1.0 - step["density"]), dist)
    air = np.float32(step["airlight"]) * (1.0 - t)
    out = image.astype(np.float32) * t[..., None] + air[..., None]
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _rain(image: np.ndarray, step: Step, depth: np.ndarray | None) -> np.ndarray:
    import albumentations as A  # noqa: N812

    s = step["slant"]
    t = A.RandomRain(
        slant_range=(s, s),
        rain_type=step["kind"],
        brightness_coefficient=step["brightness"],
        blur_value=3,
        p=1.0,
    )
    return albu(t, image, step["seed"])


def _snow(image: np.ndarray, step: Step, depth: np.ndarray | None) -> np.ndarray:
    import albumentations as A  # noqa: N812

    a = step["amount"]
    t = A.RandomSnow(snow_point_range=(a, a), brightness_coeff=step["brightness"], p=1.0)
    return albu(t, image, step["seed"])


def _sun_glare(image: np.ndarray, step: Step, depth: np.ndarray | None) -> np.ndarray:
    import albumentations as A  # noqa: N812

    radius = max(1, round(step["radius"] * max(image.shape[:2])))
    n, a = step["circles"], step["angle"]
    t = A.RandomSunFlare(
        flare_roi=(0.0, 0.0, 1.0, 0.5),
        src_radius=radius,
        angle_range=(a, a),
        num_flare_circles_range=(n, n),
        p=1.0,
    )
    return albu(t, image, step["seed"])


def _motion_blur(image: np.ndarray, step: Step, depth: np.ndarray | None) -> np.ndarray:
    return motion_blur(image, step["length"], step["angle"])


def _defocus(image: np.ndarray, step: Step, depth: np.ndarray | None) -> np.ndarray:
    import albumentations as A  # noqa: N812

    r, a = step["radius"], 0.1 + 0.4 * step["alias"]
    return albu(A.Defocus(radius=(r, r), alias_blur=(a, a), p=1.0), image)


def _overexposure(image: np.ndarray, step: Step, depth: np.ndarray | None) -> np.ndarray:
    lut = _lut(255.0 * _LEVELS * 2.0 ** step["ev"])
    return cv2.LUT(image, lut)


def _jpeg(image: np.ndarray, step: Step, depth: np.ndarray | None) -> np.ndarray:
    return jpeg(image, step["quality"])


def _lens_dirt(image: np.ndarray, step: Step, depth: np.ndarray | None) -> np.ndarray:
    import albumentations as A  # noqa: N812

    i, c = step["intensity"], step["coverage"]
    t = A.Spatter(intensity=(i, i), cutout_threshold=(c, c), mode="mud", p=1.0)
    return albu(t, image, step["seed"])


PHOTOMETRIC: dict[str, Callable[[np.ndarray, Step, np.ndarray | None], np.ndarray]] = {
    "night": _night,
    "fog": _fog,
    "rain": _rain,
    "snow": _snow,
    "sun_glare": _sun_glare,
    "motion_blur": _motion_blur,
    "defocus": _defocus,
    "overexposure": _overexposure,
    "jpeg": _jpeg,
    "lens_dirt": _lens_dirt,
}
