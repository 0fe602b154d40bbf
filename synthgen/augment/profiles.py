"""The named profiles, planning a copy and applying a plan.

A profile is one op by name (``night``, ``rotate``, ``occluder``...) with parameters.
:func:`plan_copy` draws, in the order given, whether each fires (its ``p``) and its
concrete parameters into a list of small JSON dicts; :func:`apply_plan` renders that list
alone, so the plan is the provenance record and rebuilds the copy from its source image.

>>> ops = [profile("fog"), profile("hflip")]
>>> [s["op"] for s in plan_copy(ops, np.random.default_rng([0, 3, 1]))]
['fog', 'hflip']
"""

from __future__ import annotations

from typing import Annotated, Any, Union

import numpy as np
from pydantic import Field, TypeAdapter

from synthgen.augment.base import Op, Step
from synthgen.augment.geometric import (
    CropConfig,
    HFlipConfig,
    PerspectiveConfig,
    RotateConfig,
    ScaleDownConfig,
    apply_geometric_run,
)
from synthgen.augment.occlude import OccluderConfig, apply_occluders
from synthgen.augment.photometric import (
    PHOTOMETRIC,
    DefocusConfig,
    FogConfig,
    JpegConfig,
    LensDirtConfig,
    MotionBlurConfig,
    NightConfig,
    OverexposureConfig,
    RainConfig,
    SnowConfig,
    SunGlareConfig,
)
from synthgen.sample import Category, Sample

Profile = Annotated[
    Union[  # noqa: UP007  (a discriminated union needs the Union form under py310 tooling)
        HFlipConfig,
        RotateConfig,
        PerspectiveConfig,
        CropConfig,
        ScaleDownConfig,
        NightConfig,
        FogConfig,
        RainConfig,
        SnowConfig,
        SunGlareConfig,
        MotionBlurConfig,
        DefocusConfig,
        OverexposureConfig,
        JpegConfig,
        LensDirtConfig,
        OccluderConfig,
    ],
    Field(discriminator="op"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Profile)
GEOMETRIC = ("hflip", "rotate", "perspective", "crop", "scale_down")
PROFILE_NAMES: tuple[str, ...] = (*GEOMETRIC, *PHOTOMETRIC, "occluder")


def profile(name: str, **params: Any) -> Op:
    """A profile's config by name, with parameters (validated, bounds checked).

    >>> profile("rotate", degrees=[-5, 5]).degrees.max
    5.0
    """
    op: Op = _ADAPTER.validate_python({"op": name, **params})
    return op


def plan_copy(ops: list[Op], rng: np.random.Generator) -> list[Step]:
    """Draws which ops fire (each with its ``p``) and their concrete parameters, in order.

    The coin is drawn even when p is 0 or 1, so editing one p never shifts later ops.
    """
    plan = []
    for op in ops:
        fires = rng.random() < op.p
        step = op.draw(rng)
        if fires:
            plan.append(step)
    return plan


def apply_plan(sample: Sample, plan: list[Step], categories: list[Category]) -> Sample:
    """Renders a plan on a Sample; the result's labels come from ``derive_labels``.

    Geometric steps move the image, instance map, depth, amodal masks and keypoints with
    one matrix; consecutive ones are folded into one warp where that gives the same result
    (:func:`~synthgen.augment.geometric.plan_warps`). Occluders hide pixels in the map;
    photometric steps touch pixels only.
    """
    by_name = {c.name: c for c in categories}
    k = 0
    while k < len(plan):
        op = plan[k].get("op")
        if op in GEOMETRIC:
            end = k + 1
            while end < len(plan) and plan[end].get("op") in GEOMETRIC:
                end += 1
            sample = apply_geometric_run(sample, plan[k:end], by_name)
            k = end
            continue
        step = plan[k]
        k += 1
        if op == "occluder":
            sample = apply_occluders(sample, step)
        elif op in PHOTOMETRIC:
            image = PHOTOMETRIC[op](sample.image, step, sample.depth)
            sample = Sample(
                image,
                sample.instance_map,
                sample.instances,
                plan=sample.plan,
                depth=sample.depth,
                camera=sample.camera,
                document=sample.document,
            )
        else:
            raise ValueError(
                f"unknown augment op {op!r} in the plan (known: {', '.join(PROFILE_NAMES)})"
            )
    return sample
