"""Scan degradations for rendered pages: seeded, planned first, labels kept exact.

A recipe lists steps (``degrade: [{op: rotate, degrees: [-2, 2]}, {op: jpeg}]``).
:func:`plan_degradations` draws, from the sample's rng, which steps fire and their concrete
parameters into small JSON dicts; :func:`apply_degradations` renders that plan alone, so the
plan is the provenance record and the same plan always gives the same bytes.

Geometric steps (rotate, perspective) warp the image bilinearly and the id map
nearest-neighbour with the same matrix, so word boxes are re-derived from the warped id map,
never from moved box corners (DESIGN.md, label contract). Photometric steps never touch the
id map.

Coordinates: the returned homography ``H`` maps OpenCV pixel-centre coordinates, i.e. the
centre of pixel (x, y) is the point (x, y) and pixel (x, y) covers [x - 0.5, x + 0.5) in
those coordinates; the page's outer edge runs from -0.5 to W - 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, Union

import cv2
import numpy as np
from pydantic import Field, model_validator

from synthgen.config import FloatRange, IntRange, Probability, StrictModel, within
from synthgen.imageops import (
    Size,
    albu,
    darken,
    gauss_noise,
    jpeg,
    motion_blur,
    warp_ids,
    warp_image,
)
from synthgen.sample import Instance

RGB = tuple[
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
]
SCANNER_GREY: tuple[int, int, int] = (200, 200, 200)
Plan = list[dict[str, Any]]

# ---------------------------------------------------------------------------- config


def rounded(value: float) -> float:
    """Plans are provenance records read by people; 5 decimals are far below a pixel."""
    return round(float(value), 5)


def draw_seed(rng: np.random.Generator) -> int:
    """A seed for what a step leaves to chance inside (noise values, pixel positions)."""
    return int(rng.integers(0, 2**31 - 1))


class _Step(StrictModel):
    p: Probability = Field(1.0, description="probability that this step applies to a page")

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        """Concrete parameters of this step for one page."""
        raise NotImplementedError


class RotateConfig(_Step):
    """Page skew; the canvas grows so the whole page stays visible."""

    op: Literal["rotate"] = "rotate"
    degrees: Annotated[FloatRange, within(ge=-180, le=180)] = Field(
        FloatRange(min=-2.0, max=2.0), description="angle, counter-clockwise"
    )
    fill: RGB = Field(SCANNER_GREY, description="RGB colour of the uncovered scanner bed")

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "op": self.op,
            "degrees": rounded(self.degrees.sample(rng)),
            "fill": list(self.fill),
        }


class PerspectiveConfig(_Step):
    """Page not flat on the glass: each corner moves inward, nothing leaves the image."""

    op: Literal["perspective"] = "perspective"
    strength: Annotated[FloatRange, within(ge=0, le=0.25)] = Field(
        FloatRange(min=0.0, max=0.03),
        description="largest inward corner shift, as a fraction of the page width/height",
    )
    fill: RGB = Field(SCANNER_GREY, description="RGB colour of the uncovered scanner bed")

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        s = self.strength.sample(rng)
        corners = [[rounded(rng.uniform(0, s)), rounded(rng.uniform(0, s))] for _ in range(4)]
        return {"op": self.op, "corners": corners, "fill": list(self.fill)}


class BlurConfig(_Step):
    op: Literal["blur"] = "blur"
    sigma: Annotated[FloatRange, within(gt=0, le=10)] = Field(
        FloatRange(min=0.3, max=1.0), description="Gaussian sigma in pixels"
    )

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        return {"op": self.op, "sigma": rounded(self.sigma.sample(rng))}


class MotionBlurConfig(_Step):
    op: Literal["motion_blur"] = "motion_blur"
    length: Annotated[IntRange, within(ge=3, le=63)] = Field(
        IntRange(min=3, max=5), description="kernel length in pixels; only odd lengths are drawn"
    )
    angle: Annotated[FloatRange, within(ge=-180, le=180)] = Field(
        FloatRange(min=0.0, max=180.0), description="direction of the motion in degrees"
    )

    @model_validator(mode="after")
    def _has_odd_length(self) -> MotionBlurConfig:
        if self.length.min == self.length.max and self.length.min % 2 == 0:
            raise ValueError(f"length must include an odd number, got {self.length.min}")
        return self

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        # Odd kernels keep the blur centred on the ink, so labels stay where the ink is.
        odd = list(range(self.length.min | 1, self.length.max + 1, 2))
        length = int(odd[int(rng.integers(len(odd)))])
        return {"op": self.op, "length": length, "angle": rounded(self.angle.sample(rng))}


class NoiseConfig(_Step):
    op: Literal["noise"] = "noise"
    std: Annotated[FloatRange, within(ge=0, le=255)] = Field(
        FloatRange(min=2.0, max=8.0), description="Gaussian noise std in 0-255 units"
    )
    per_channel: bool = Field(False, description="colour noise instead of grey sensor noise")

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        std = rounded(self.std.sample(rng))
        return {"op": self.op, "std": std, "per_channel": self.per_channel, "seed": draw_seed(rng)}


class JpegConfig(_Step):
    op: Literal["jpeg"] = "jpeg"
    quality: Annotated[IntRange, within(ge=1, le=100)] = Field(
        IntRange(min=35, max=85), description="JPEG quality"
    )

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        return {"op": self.op, "quality": self.quality.sample(rng)}


class ContrastConfig(_Step):
    """Washed-out scan: contrast shrinks around mid-grey, then brightness shifts."""

    op: Literal["contrast"] = "contrast"
    factor: Annotated[FloatRange, within(gt=0, le=1)] = Field(
        FloatRange(min=0.6, max=0.9), description="contrast factor around mid-grey (128)"
    )
    brightness: Annotated[FloatRange, within(ge=-1, le=1)] = Field(
        FloatRange(min=-0.05, max=0.05), description="brightness shift, fraction of 255"
    )

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        factor, shift = self.factor.sample(rng), self.brightness.sample(rng)
        return {"op": self.op, "factor": rounded(factor), "brightness": rounded(shift)}


class ShadowConfig(_Step):
    """A soft dark band entering from one page edge (a hand, a book spine, the lid)."""

    op: Literal["shadow"] = "shadow"
    strength: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.1, max=0.35), description="darkening inside the shadow (1 = black)"
    )
    depth: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.1, max=0.4),
        description="how far the shadow reaches in from the edge, fraction of the page",
    )
    softness: Annotated[FloatRange, within(ge=0, le=0.5)] = Field(
        FloatRange(min=0.02, max=0.08),
        description="blur of the shadow's edge, fraction of the page's shorter side",
    )

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "op": self.op,
            "edge": ["left", "top", "right", "bottom"][int(rng.integers(4))],
            # Two depths, one at each end of the edge: a slanted, trapezoid shadow.
            "depths": [rounded(self.depth.sample(rng)), rounded(self.depth.sample(rng))],
            "strength": rounded(self.strength.sample(rng)),
            "softness": rounded(self.softness.sample(rng)),
        }


class FoldConfig(_Step):
    """A crease: a thin dark line across the page and a shaded slope on one side."""

    op: Literal["fold"] = "fold"
    orientation: Literal["horizontal", "vertical", "any"] = "any"
    position: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.3, max=0.7), description="where the crease crosses, fraction of page"
    )
    tilt: Annotated[FloatRange, within(ge=-45, le=45)] = Field(
        FloatRange(min=-2.0, max=2.0), description="degrees off horizontal/vertical"
    )
    darkness: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.15, max=0.4), description="darkening on the crease line"
    )
    width: Annotated[FloatRange, within(gt=0, le=20)] = Field(
        FloatRange(min=0.8, max=2.0), description="crease line width (Gaussian sigma, pixels)"
    )
    shade: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.03, max=0.12), description="darkening right beside the crease"
    )
    spread: Annotated[FloatRange, within(gt=0, le=1)] = Field(
        FloatRange(min=0.05, max=0.25), description="reach of the shading, fraction of page"
    )

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        axis = self.orientation
        if axis == "any":
            axis = "horizontal" if rng.random() < 0.5 else "vertical"
        return {
            "op": self.op,
            "orientation": axis,
            "position": rounded(self.position.sample(rng)),
            "tilt": rounded(self.tilt.sample(rng)),
            "darkness": rounded(self.darkness.sample(rng)),
            "width": rounded(self.width.sample(rng)),
            "shade": rounded(self.shade.sample(rng)),
            "spread": rounded(self.spread.sample(rng)),
            "side": 1 if rng.random() < 0.5 else -1,
        }


class InkBleedConfig(_Step):
    """Ink spreads into the paper: a grey-level erosion (min filter) blended in."""

    op: Literal["ink_bleed"] = "ink_bleed"
    kernel: Annotated[IntRange, within(ge=2, le=9)] = Field(
        IntRange(min=2, max=3), description="min-filter size in pixels"
    )
    strength: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.3, max=0.7), description="blend weight of the eroded image"
    )

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "op": self.op,
            "kernel": self.kernel.sample(rng),
            "strength": rounded(self.strength.sample(rng)),
        }


class SaltPepperConfig(_Step):
    op: Literal["salt_pepper"] = "salt_pepper"
    amount: Annotated[FloatRange, within(ge=0, le=0.5)] = Field(
        FloatRange(min=0.0005, max=0.004), description="fraction of pixels replaced"
    )
    salt: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.3, max=0.7), description="fraction of those set white (rest black)"
    )

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "op": self.op,
            "amount": rounded(self.amount.sample(rng)),
            "salt": rounded(self.salt.sample(rng)),
            "seed": draw_seed(rng),
        }


DegradeStep = Annotated[
    Union[  # noqa: UP007  (a discriminated union needs the Union form under py310 tooling)
        RotateConfig,
        PerspectiveConfig,
        BlurConfig,
        MotionBlurConfig,
        NoiseConfig,
        JpegConfig,
        ContrastConfig,
        ShadowConfig,
        FoldConfig,
        InkBleedConfig,
        SaltPepperConfig,
    ],
    Field(discriminator="op"),
]


def plan_degradations(steps: list[DegradeStep], rng: np.random.Generator) -> Plan:
    """Draws which steps fire (each with its ``p``) and their concrete parameters.

    Steps that do not fire are left out; every dict is JSON-serializable.

    >>> plan = plan_degradations([RotateConfig(degrees=[1, 1])], np.random.default_rng(0))
    >>> plan[0]["op"], plan[0]["degrees"]
    ('rotate', 1.0)
    """
    plan: Plan = []
    for step in steps:
        # Draw the coin even when p is 0 or 1, so editing one p never shifts later steps.
        fires = rng.random() < step.p
        params = step.draw(rng)
        if fires:
            plan.append(params)
    return plan


# ---------------------------------------------------------------------------- geometry


def _rotate_geometry(step: dict[str, Any], w: int, h: int) -> tuple[np.ndarray, Size]:
    a = math.radians(step["degrees"])
    c, s = math.cos(a), math.sin(a)
    # The page spans w x h pixel edges; the rotated page's extent decides the new canvas.
    new_w = math.ceil(w * abs(c) + h * abs(s) - 1e-6)
    new_h = math.ceil(w * abs(s) + h * abs(c) - 1e-6)
    cx, cy, ncx, ncy = (w - 1) / 2, (h - 1) / 2, (new_w - 1) / 2, (new_h - 1) / 2
    # Counter-clockwise on screen (y down), as cv2.getRotationMatrix2D; centre to centre.
    mat = np.array(
        [
            [c, s, ncx - c * cx - s * cy],
            [-s, c, ncy + s * cx - c * cy],
            [0.0, 0.0, 1.0],
        ]
    )
    return mat, (new_w, new_h)


def page_corners(w: int, h: int) -> np.ndarray:
    """The page's outer corners in pixel-centre coordinates (TL, TR, BR, BL), float32 4x2."""
    return np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]], "f4")


def _perspective_geometry(step: dict[str, Any], w: int, h: int) -> tuple[np.ndarray, Size]:
    src = page_corners(w, h)
    inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], "f4")
    dst = src + inward * np.asarray(step["corners"], "f4") * np.array([w, h], "f4")
    return cv2.getPerspectiveTransform(src, dst).astype(np.float64), (w, h)


_GEOMETRIC: dict[str, Callable[[dict[str, Any], int, int], tuple[np.ndarray, Size]]] = {
    "rotate": _rotate_geometry,
    "perspective": _perspective_geometry,
}


_warp_ids = warp_ids


def _warp_image(image: np.ndarray, mat: np.ndarray, size: Size, fill: Sequence[int]) -> np.ndarray:
    return warp_image(image, mat, size, fill)


# ---------------------------------------------------------------------------- photometric


_albu = albu

# Blur and contrast compute exactly what the albumentations transforms they replaced compute
# (tests/generators/document/test_degrade_exact.py), without building a transform per page;
# motion blur, noise and JPEG are imageops' (the same for augment).


def _blur(image: np.ndarray, step: dict[str, Any]) -> np.ndarray:
    """albumentations' GaussianBlur(blur_limit=0, sigma_limit=(s, s)): PIL's kernel size."""
    s = step["sigma"]
    half = int(s * 3.5)
    x = np.arange(-half, half + 1)
    kernel = np.exp(-0.5 * (x / s) ** 2)
    kernel = kernel / kernel.sum()
    out: np.ndarray = cv2.sepFilter2D(image, -1, kernel, kernel)
    return out


def _motion_blur(image: np.ndarray, step: dict[str, Any]) -> np.ndarray:
    return motion_blur(image, step["length"], step["angle"])


def _noise(image: np.ndarray, step: dict[str, Any]) -> np.ndarray:
    return gauss_noise(image, step["std"], step["per_channel"], step["seed"])


def _jpeg(image: np.ndarray, step: dict[str, Any]) -> np.ndarray:
    return jpeg(image, step["quality"])


def _contrast(image: np.ndarray, step: dict[str, Any]) -> np.ndarray:
    """albumentations' RandomBrightnessContrast, which computes img * c + b * 255 (through a
    float32 lookup table, clipped and truncated); pivots on mid-grey, then shifts."""
    c = step["factor"]
    b = (1.0 - c) * 128.0 / 255.0 + step["brightness"]
    alpha = 1.0 + (c - 1.0)  # as albumentations gets it back from its contrast limit
    lut = np.clip(np.arange(256, dtype=np.float32) * alpha + b * 255, 0, 255).astype(np.uint8)
    out: np.ndarray = cv2.LUT(image, lut)
    return out


_darken = darken


def _shadow(image: np.ndarray, step: dict[str, Any]) -> np.ndarray:
    h, w = image.shape[:2]
    # Drawn and blurred at 1/8 scale: a soft shadow has no detail worth a full-size blur.
    sh, sw = max(1, h // 8), max(1, w // 8)
    d0, d1 = step["depths"]
    quads = {
        "left": [(0, 0), (d0 * sw, 0), (d1 * sw, sh), (0, sh)],
        "right": [(sw, 0), (sw - d0 * sw, 0), (sw - d1 * sw, sh), (sw, sh)],
        "top": [(0, 0), (sw, 0), (sw, d1 * sh), (0, d0 * sh)],
        "bottom": [(0, sh), (sw, sh), (sw, sh - d1 * sh), (0, sh - d0 * sh)],
    }
    mask = np.zeros((sh, sw), np.float32)
    cv2.fillPoly(mask, [np.round(np.array(quads[step["edge"]])).astype(np.int32)], 1.0)
    sigma = step["softness"] * min(sh, sw)
    if sigma > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), sigma)
    mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
    return _darken(image, 1.0 - step["strength"] * mask)


def _fold(image: np.ndarray, step: dict[str, Any]) -> np.ndarray:
    h, w = image.shape[:2]
    tilt = math.radians(step["tilt"])
    if step["orientation"] == "horizontal":
        # Normal of a near-horizontal crease points down; the line passes at y = pos * h.
        nx, ny, x0, y0, extent = -math.sin(tilt), math.cos(tilt), w / 2, step["position"] * h, h
    else:
        nx, ny, x0, y0, extent = math.cos(tilt), math.sin(tilt), step["position"] * w, h / 2, w
    xs = (np.arange(w, dtype=np.float32) - x0) * np.float32(nx)
    ys = (np.arange(h, dtype=np.float32) - y0) * np.float32(ny)
    dist = ys[:, None] + xs[None, :]
    line = step["darkness"] * np.exp(-0.5 * (dist / step["width"]) ** 2)
    # The raised side of the crease catches less light, fading away from the crease.
    beside = np.maximum(dist * step["side"], 0.0)
    slope = step["shade"] * np.exp(-beside / (step["spread"] * extent)) * (beside > 0)
    return _darken(image, (1.0 - line) * (1.0 - slope))


def _ink_bleed(image: np.ndarray, step: dict[str, Any]) -> np.ndarray:
    k = step["kernel"]
    eroded = cv2.erode(image, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    a = step["strength"]
    return cv2.addWeighted(image, 1.0 - a, eroded, a, 0.0)


def _salt_pepper(image: np.ndarray, step: dict[str, Any]) -> np.ndarray:
    import albumentations as A  # noqa: N812

    a, s = step["amount"], step["salt"]
    return _albu(A.SaltAndPepper(amount=(a, a), salt_vs_pepper=(s, s), p=1.0), image, step["seed"])


_PHOTOMETRIC: dict[str, Callable[[np.ndarray, dict[str, Any]], np.ndarray]] = {
    "blur": _blur,
    "motion_blur": _motion_blur,
    "noise": _noise,
    "jpeg": _jpeg,
    "contrast": _contrast,
    "shadow": _shadow,
    "fold": _fold,
    "ink_bleed": _ink_bleed,
    "salt_pepper": _salt_pepper,
}

# ---------------------------------------------------------------------------- apply


def _check_inputs(image: np.ndarray, id_map: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be HxWx3 uint8 RGB, got {image.shape} {image.dtype}")
    if id_map.dtype not in (np.uint16, np.int32):
        raise ValueError(f"id map must be uint16 or int32, got {id_map.dtype}")
    if id_map.shape != image.shape[:2]:
        raise ValueError(f"id map shape {id_map.shape} differs from image {image.shape[:2]}")


def apply_degradations(
    image: np.ndarray, id_map: np.ndarray, plan: Plan
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Renders a plan: returns (image, id map, H), H a 3x3 float64 homography.

    ``H`` maps OpenCV pixel-centre coordinates of the input (the centre of pixel (x, y) is
    (x, y)) to those of the output; it is the product of all geometric steps, identity when
    there are none. Each geometric step warps the id map once, nearest-neighbour, with the
    border set to 0; with two such steps a mask warped once with ``H`` can differ from the id
    map at a few edge pixels, so take labels from the returned id map. Photometric steps leave
    the id map as it is. The id map keeps its dtype (uint16 or int32).

    >>> img = np.full((40, 30, 3), 255, np.uint8)
    >>> ids = np.zeros((40, 30), np.uint16)
    >>> out, out_ids, H = apply_degradations(img, ids, [{"op": "rotate", "degrees": 90.0}])
    >>> out.shape, out_ids.shape, H.shape
    ((30, 40, 3), (30, 40), (3, 3))
    """
    _check_inputs(image, id_map)
    total = np.eye(3)
    for step in plan:
        op = step.get("op")
        if op in _GEOMETRIC:
            h, w = image.shape[:2]
            mat, size = _GEOMETRIC[op](step, w, h)
            image = _warp_image(image, mat, size, step.get("fill", SCANNER_GREY))
            id_map = _warp_ids(id_map, mat, size)
            total = mat @ total
        elif op in _PHOTOMETRIC:
            image = _PHOTOMETRIC[op](image, step)
        else:
            known = ", ".join(sorted([*_GEOMETRIC, *_PHOTOMETRIC]))
            raise ValueError(f"unknown degradation op {op!r} in the plan (known: {known})")
    return image, id_map, total


def follow_instances(
    instances: list[Instance], id_map: np.ndarray, warp: np.ndarray
) -> list[Instance]:
    """Instances after a geometric degradation: each one's pixels are where the warped id
    map holds its id, looked up in the window its old patch maps to."""
    height, width = id_map.shape
    moved = []
    for inst in instances:
        assert inst.amodal_mask is not None
        ox, oy = inst.amodal_origin
        ph, pw = inst.amodal_mask.shape
        corners = np.array(
            [[[ox - 1, oy - 1], [ox + pw, oy - 1], [ox + pw, oy + ph], [ox - 1, oy + ph]]],
            np.float64,
        )
        x, y = cv2.perspectiveTransform(corners, warp)[0].T
        x0, y0 = max(int(np.floor(x.min())) - 1, 0), max(int(np.floor(y.min())) - 1, 0)
        x1, y1 = min(int(np.ceil(x.max())) + 2, width), min(int(np.ceil(y.max())) + 2, height)
        mask = id_map[y0:y1, x0:x1] == inst.id if x0 < x1 and y0 < y1 else np.zeros((0, 0), bool)
        if mask.any():
            moved.append(Instance(inst.id, inst.category, amodal_mask=mask, amodal_origin=(x0, y0)))
    return moved
