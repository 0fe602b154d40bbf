"""Recipe schema of the 3D scene generator. Lengths are metres, angles degrees."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from synthgen.config import ExistingDir, FloatRange, Fraction, IntRange, StrictModel, within
from synthgen.generators.base import GeneratorConfig
from synthgen.generators.classes import ClassMix, ClassSpec


class ImageSize(StrictModel):
    width: int = Field(640, ge=16, le=8192)
    height: int = Field(480, ge=16, le=8192)
    antialias: bool = Field(
        True,
        description="4x multisampled edges; false draws each pixel from its centre, as "
        "the masks are (a fifth to a third less CPU time a frame on Mesa's software renderer)",
    )

    @model_serializer(mode="wrap")
    def _antialias_only_when_off(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Recipes written before this key existed keep their hash (a run started then
        # still resumes): the default is left out of the recipe's dump.
        data = handler(self)
        if self.antialias:
            data.pop("antialias", None)
        return data


class Intrinsics(StrictModel):
    """A fixed K in OpenCV convention (the centre of pixel u is at u)."""

    fx: float = Field(gt=0)
    fy: float = Field(gt=0)
    cx: float
    cy: float


class CameraConfig(StrictModel):
    """A camera looking at the scene's centre from a random direction."""

    fov: Annotated[FloatRange, within(gt=1, le=170)] = Field(
        FloatRange(min=45, max=60), description="vertical field of view (ignored with intrinsics)"
    )
    intrinsics: Intrinsics | None = None
    distance: Annotated[FloatRange, within(gt=0)] = FloatRange(min=0.7, max=1.3)
    elevation: Annotated[FloatRange, within(ge=-89, le=89.9)] = Field(
        FloatRange(min=30, max=75), description="degrees above the support plane"
    )
    azimuth: Annotated[FloatRange, within(ge=-360, le=360)] = FloatRange(min=0, max=360)
    roll: Annotated[FloatRange, within(ge=-180, le=180)] = FloatRange(min=-5, max=5)
    target_jitter: float = Field(0.05, ge=0, description="random shift of the look-at point")
    znear: float = Field(0.02, gt=0)
    zfar: float = Field(20.0, gt=0)

    @model_validator(mode="after")
    def _near_before_far(self) -> CameraConfig:
        if self.znear >= self.zfar:
            raise ValueError(f"znear ({self.znear}) must be smaller than zfar ({self.zfar})")
        return self


class ModelSource(StrictModel):
    """Meshes from a built-in set, or a folder with one subfolder per class.

    In a folder, each mesh (.obj, .ply, .stl, .glb, .gltf, .off) may have keypoints in
    ``<stem>.json``: ``{"keypoints": {"name": [x, y, z] or {"vertex": index}}}``, in the
    mesh's own units and frame.
    """

    builtin: Literal["kitchen", "clutter", "primitives"] | None = None
    dir: ExistingDir | None = None
    classes: list[ClassSpec] | None = Field(
        None, description="class names (and keypoints) in id order; default: sorted subfolders"
    )
    units: Literal["m", "cm", "mm"] = Field("m", description="units of the mesh files")

    @model_validator(mode="after")
    def _one_source(self) -> ModelSource:
        if (self.builtin is None) == (self.dir is None):
            raise ValueError("give exactly one of 'builtin' or 'dir'")
        if self.builtin and self.classes:
            raise ValueError("'classes' applies to a 'dir' source; built-in sets fix their classes")
        return self


class Arrangement(StrictModel):
    scale: Annotated[FloatRange, within(gt=0, le=100)] = Field(
        FloatRange(min=1, max=1), description="size factor per object (BOP needs 1)"
    )
    pose: Literal["stable", "random"] = Field(
        "stable", description="stable: resting on a face of the hull; random: any rotation"
    )


class Objects(Arrangement, ClassMix):
    source: ModelSource


class Distractors(Arrangement):
    """Unlabeled meshes: they hide labeled objects but get no label themselves."""

    source: ModelSource
    count: Annotated[IntRange, within(ge=0, le=1000)] = IntRange(min=0, max=3)


class Support(StrictModel):
    """What objects rest on: a table top, an open bin, a floor, or nothing (floating)."""

    kind: Literal["table", "bin", "floor", "none"] = "table"
    size: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]] = Field(
        (0.8, 0.5), description="area objects are placed in (a bin's inner floor)"
    )


class Background(StrictModel):
    """Behind everything: a random colour, or images from a folder (scaled to cover)."""

    color: Annotated[FloatRange, within(ge=0, le=1)] = Field(
        FloatRange(min=0.2, max=0.9), description="grey level range; each channel jittered"
    )
    images: ExistingDir | None = None


class Lights(StrictModel):
    count: Annotated[IntRange, within(ge=0, le=8)] = IntRange(min=1, max=3)
    kinds: tuple[Literal["directional", "point", "spot"], ...] = ("directional", "point", "spot")
    intensity: Annotated[FloatRange, within(ge=0)] = Field(
        FloatRange(min=2, max=6),
        description="directional in lux; point and spot scaled by distance",
    )
    color_jitter: Fraction = Field(0.15, description="spread of light colour around white")
    ambient: Annotated[FloatRange, within(ge=0, le=1)] = FloatRange(min=0.15, max=0.4)


class Materials(StrictModel):
    """Per-object changes to each model's own colours."""

    tint: Fraction = Field(0.15, description="colour multiplier spread per channel")
    metallic: Annotated[FloatRange, within(ge=0, le=1)] = FloatRange(min=0.0, max=0.2)
    roughness: Annotated[FloatRange, within(ge=0, le=1)] = FloatRange(min=0.4, max=0.9)


class Placement(StrictModel):
    attempts: int = Field(40, ge=1, le=10000, description="positions tried per object")
    cell: float = Field(0.004, gt=0, description="height-map resolution for the drop (m)")
    on_failure: Literal["error", "skip", "fewer"] = "fewer"


class Scene3DConfig(GeneratorConfig):
    """3D scenes rendered with pyrender: depth, 6D pose, amodal masks, 3D boxes, keypoints."""

    kind: Literal["scene3d"] = "scene3d"
    image: ImageSize = ImageSize()
    camera: CameraConfig = CameraConfig()
    objects: Objects
    distractors: Distractors | None = None
    support: Support = Support()
    background: Background = Background()
    lights: Lights = Lights()
    materials: Materials = Materials()
    placement: Placement = Placement()
