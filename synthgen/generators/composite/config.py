"""Recipe schema of the cut-paste compositor."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from synthgen.config import (
    ExistingDir,
    FloatRange,
    Fraction,
    IntRange,
    Probability,
    StrictModel,
    within,
)
from synthgen.generators.base import GeneratorConfig
from synthgen.generators.classes import ClassMix, ClassSpec


class Canvas(StrictModel):
    width: int = Field(640, ge=8, le=16384)
    height: int = Field(480, ge=8, le=16384)


class CutoutSource(StrictModel):
    """Where cutouts come from: a built-in set, or a folder with one subfolder per class.

    In a folder, a cutout is an image with an alpha channel, or an image plus a mask named
    ``<stem>.mask.png`` (white = object). Optional keypoints: ``<stem>.json`` with
    ``{"keypoints": {"name": [x, y], ...}}`` in the cutout's pixel coordinates.
    """

    builtin: Literal["traffic_signs", "clutter"] | None = None
    dir: ExistingDir | None = None
    classes: list[ClassSpec] | None = Field(
        None, description="class names (and keypoints) in id order; default: sorted subfolders"
    )

    @model_validator(mode="after")
    def _one_source(self) -> CutoutSource:
        if (self.builtin is None) == (self.dir is None):
            raise ValueError("give exactly one of 'builtin' or 'dir'")
        if self.builtin and self.classes:
            raise ValueError("'classes' applies to a 'dir' source; built-in sets fix their classes")
        return self


class BackgroundSource(StrictModel):
    builtin: Literal["streets"] | None = None
    dir: ExistingDir | None = None
    fit: Literal["cover", "stretch"] = Field(
        "cover", description="cover: scale to cover the canvas, then crop; stretch: resize"
    )
    zoom: Annotated[FloatRange, within(ge=1.0, le=8.0)] = Field(
        FloatRange(min=1.0, max=1.5), description="extra zoom before the random crop (cover)"
    )
    flip: Probability = 0.5

    @model_validator(mode="after")
    def _one_source(self) -> BackgroundSource:
        if (self.builtin is None) == (self.dir is None):
            raise ValueError("give exactly one of 'builtin' or 'dir'")
        return self


class Flip(StrictModel):
    horizontal: Probability = 0.0
    vertical: Probability = 0.0


class ColorJitter(StrictModel):
    """Per-object colour changes, each drawn uniformly in [-x, +x]."""

    brightness: Annotated[float, Field(ge=0, le=1)] = 0.0
    contrast: Annotated[float, Field(ge=0, le=1)] = 0.0
    saturation: Annotated[float, Field(ge=0, le=1)] = 0.0
    hue: Annotated[float, Field(ge=0, le=0.5)] = Field(0.0, description="fraction of a turn")


class Transform(StrictModel):
    """How each pasted object is scaled, turned, mirrored and warped."""

    scale: Annotated[FloatRange, within(gt=0)] = Field(
        FloatRange(min=0.15, max=0.45),
        description="relative_to canvas: the object's longer side over the canvas's shorter "
        "side; relative_to cutout: a zoom factor (drawn log-uniformly)",
    )
    relative_to: Literal["canvas", "cutout"] = "canvas"
    rotation: Annotated[FloatRange, within(ge=-180, le=180)] = Field(
        FloatRange(min=0, max=0), description="degrees, counter-clockwise"
    )
    flip: Flip = Flip()
    perspective: Annotated[float, Field(ge=0, le=0.3)] = Field(
        0.0, description="corner jitter as a fraction of the object's size"
    )
    color: ColorJitter = ColorJitter()


class Objects(Transform, ClassMix):
    source: CutoutSource


class Distractors(Transform):
    """Unlabeled objects: they hide labeled ones but get no label themselves."""

    source: CutoutSource
    count: Annotated[IntRange, within(ge=0, le=1000)] = IntRange(min=0, max=3)


class BlendMode(str, Enum):
    ALPHA = "alpha"  # the cutout's own anti-aliased alpha
    NONE = "none"  # hard paste of the binary mask
    GAUSSIAN = "gaussian"  # feathered edge: the binary mask blurred
    POISSON = "poisson"  # gradient-domain (cv2.seamlessClone)
    MOTION = "motion"  # the object blurred along a random direction


class Blending(StrictModel):
    """Blend modes drawn per object with the given weights (several = an ensemble)."""

    modes: dict[BlendMode, Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: {BlendMode.ALPHA: 1.0}
    )
    feather_sigma: Annotated[FloatRange, within(gt=0, le=20)] = FloatRange(min=0.8, max=2.0)
    motion_length: Annotated[IntRange, within(ge=3, le=101)] = IntRange(min=5, max=15)

    @model_validator(mode="after")
    def _some_weight(self) -> Blending:
        if not self.modes or sum(self.modes.values()) <= 0:
            raise ValueError("give at least one blend mode with a positive weight")
        return self


class Placement(StrictModel):
    max_truncation: Fraction = Field(
        0.3, description="largest fraction of an object allowed outside the canvas"
    )
    max_occlusion: Fraction = Field(
        0.6, description="largest fraction of a labeled object's in-canvas pixels hidden by others"
    )
    z_order: Literal["random", "large_behind"] = "random"
    attempts: int = Field(30, ge=1, le=10000, description="positions tried per object")
    on_failure: Literal["error", "skip", "fewer"] = Field(
        "fewer",
        description="when an object cannot be placed: stop with an error, skip the sample "
        "(recorded), or keep the sample with fewer objects (recorded in the plan)",
    )


class CompositeConfig(GeneratorConfig):
    """Cut-paste compositor: cutouts pasted onto backgrounds with exact occlusion."""

    kind: Literal["composite"] = "composite"
    canvas: Canvas = Canvas()
    backgrounds: BackgroundSource
    objects: Objects
    distractors: Distractors | None = None
    placement: Placement = Placement()
    blending: Blending = Blending()
