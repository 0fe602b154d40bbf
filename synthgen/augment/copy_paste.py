"""Copy-paste of dataset instances: the config, placement rules and the paste itself.

A *donor* is one instance of the dataset, cut from its source image along its visible
mask (:mod:`synthgen.augment.donors` finds and keeps them). A *paste step* is a small JSON
record: the donor, its scale (relative to the donor's own size), position, flip and blend.
:func:`place_pastes` draws the steps of one output image; :func:`apply_pastes` renders
them alone, so the steps are the provenance record.

Occlusion: the pasted instance is on top. Its pixels take a fresh id in the instance map,
so existing instances lose them: their masks, boxes and visibility (visible / own mask
pixels) are derived again, and one below the minimum visibility is dropped from every
format. Every instance whose pixels a paste covers loses its source label
(``Instance.source = None``). Placement rejects a spot that would push an existing
instance below ``keep_visibility`` or ``keep_area``: a paste adds one instance and
removes none, which is what lets the balance planner count exactly.

Blends reuse the compositor's (:mod:`synthgen.generators.composite.paste`): ``none``
(hard edge), ``gaussian`` (feathered alpha over bled edge colour) and ``poisson``
(seamless clone). The label is where the pasted object makes at least half of the final
colour, as in the compositor.

>>> step = {"size": [4, 2], "position": [1, 1], "flip": False, "blend": "none"}
>>> paste_mask(np.ones((2, 4), bool), step).shape
(2, 4)
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Annotated, Any, Literal

import cv2
import numpy as np
from pydantic import Field

from synthgen.augment.base import Step, rounded
from synthgen.config import FloatRange, StrictModel, within
from synthgen.sample import MAX_INSTANCES, Instance, Sample

Blend = Literal["none", "gaussian", "poisson"]


class CopyPasteConfig(StrictModel):
    """Which classes to paste, the class balance to reach and the placement rules."""

    classes: list[str] | Literal["rare"] = Field(
        "rare", description="classes to paste, or 'rare': every class below its target"
    )
    target: dict[str, Annotated[float, Field(gt=0)]] | Literal["uniform"] = Field(
        "uniform", description="class weights of the balance to reach, or 'uniform' (all)"
    )
    donor_min_visibility: float = Field(
        0.9, gt=0, le=1, description="donors hidden more than this share are not used"
    )
    donor_min_area: int = Field(16, ge=1, description="donors smaller than this (px) are not used")
    scale: Annotated[FloatRange, within(gt=0, le=10)] = Field(
        FloatRange(min=0.8, max=1.2), description="paste size relative to the donor's own size"
    )
    max_fraction: float = Field(
        0.5, gt=0, le=1, description="a paste is at most this share of the image's width/height"
    )
    ground: bool = Field(False, description="pastes stand on the bottom half of the image")
    flip: float = Field(0.5, ge=0, le=1, description="probability of a horizontal mirror")
    blend: Literal["none", "gaussian", "poisson", "any"] = "none"
    sigma: Annotated[FloatRange, within(gt=0, le=10)] = Field(
        FloatRange(min=0.7, max=1.5), description="gaussian blend: feather width (px)"
    )
    max_pastes: int = Field(8, ge=1, le=256, description="pastes per output image at most")
    tries: int = Field(30, ge=1, le=1000, description="positions tried for one paste")
    keep_visibility: float = Field(
        0.1, ge=0, le=1, description="a paste leaves every existing instance this visible"
    )
    keep_area: int = Field(4, ge=1, description="and at least this many visible pixels")
    memory_mb: float = Field(
        256, ge=0, description="donor pixels kept in memory; others are re-read when used"
    )
    skip_truncated: bool = Field(
        True, description="donors cut by their image's border are not used"
    )


def draw_blend(config: CopyPasteConfig, rng: np.random.Generator) -> dict[str, Any]:
    """The blend of one paste: its mode (and feather width for ``gaussian``)."""
    modes: tuple[Blend, ...] = ("none", "gaussian", "poisson")
    mode = modes[int(rng.integers(3))] if config.blend == "any" else config.blend
    sigma = config.sigma.sample(rng)
    return {"mode": mode, "sigma": rounded(sigma)} if mode == "gaussian" else {"mode": mode}


def paste_size(
    donor_size: tuple[int, int], scale: float, image_size: tuple[int, int], max_fraction: float
) -> tuple[float, int, int]:
    """(scale, width, height) of a paste: the drawn scale, capped so that the paste is at
    most ``max_fraction`` of the image's width and height.

    >>> paste_size((40, 20), 2.0, (100, 100), 0.5)
    (1.25, 50, 25)
    """
    w, h = donor_size
    width, height = image_size
    scale = min(scale, max_fraction * width / w, max_fraction * height / h)
    return scale, max(1, round(w * scale)), max(1, round(h * scale))


def paste_mask(donor_mask: np.ndarray, step: Step) -> np.ndarray:
    """The pasted instance's label mask, (h, w) at the step's size: the donor's mask
    resized (nearest: it stays binary), mirrored, and for ``gaussian`` where the feathered
    alpha is at least one half."""
    from synthgen.generators.composite.paste import MASK_THRESHOLD, feather

    pw, ph = step["size"]
    mask = cv2.resize(donor_mask.astype(np.uint8), (pw, ph), interpolation=cv2.INTER_NEAREST)
    if step["flip"]:
        mask = mask[:, ::-1]
    blend = step["blend"]
    if isinstance(blend, dict) and blend["mode"] == "gaussian":
        return feather(mask.astype(np.float32), blend["sigma"]) >= MASK_THRESHOLD
    return mask.astype(bool)


def keeps_others(
    sample: Sample, imap: np.ndarray, mask: np.ndarray, x: int, y: int, config: CopyPasteConfig
) -> bool:
    """Whether pasting ``mask`` at (x, y) leaves every instance it covers at least
    ``keep_visibility`` visible with ``keep_area`` pixels (``imap``: the map so far)."""
    ph, pw = mask.shape
    covered = np.unique(imap[y : y + ph, x : x + pw][mask])
    by_id = {inst.id: inst for inst in sample.instances}
    for value in covered.tolist():
        inst = by_id.get(value)
        if not value or inst is None:
            continue
        before = int(np.count_nonzero(imap == value))
        lost = int(np.count_nonzero(imap[y : y + ph, x : x + pw][mask] == value))
        total = before if inst.amodal_mask is None else int(np.count_nonzero(inst.amodal_mask))
        left = before - lost
        if left < config.keep_area or left < config.keep_visibility * total:
            return False
    return True


def place_pastes(
    sample: Sample,
    wanted: list[dict[str, Any]],
    donor_masks: list[np.ndarray],
    config: CopyPasteConfig,
    rng: np.random.Generator,
) -> list[Step]:
    """Draws scale, position, flip and blend for each wanted paste, in order.

    ``wanted`` holds each paste's record (class, donor); ``donor_masks`` the donors'
    visible masks. A spot is drawn up to ``tries`` times; a paste with no spot that keeps
    every instance (earlier pastes included) visible enough gets ``"placed": False``.
    Every draw happens whether or not a paste is placed, so one paste never shifts the
    draws of the next.
    """
    imap = sample.instance_map.copy()
    shadow = replace(sample, instances=list(sample.instances))  # ids and own masks only
    height, width = imap.shape
    next_id = max((inst.id for inst in sample.instances), default=0) + 1
    steps = []
    for want, donor_mask in zip(wanted, donor_masks, strict=True):
        dh, dw = donor_mask.shape
        scale, pw, ph = paste_size(
            (dw, dh), config.scale.sample(rng), (width, height), config.max_fraction
        )
        step: Step = {
            **want,
            "scale": rounded(scale),
            "size": [pw, ph],
            "flip": bool(rng.random() < config.flip),
            "blend": draw_blend(config, rng),
        }
        mask = paste_mask(donor_mask, step)
        top = max(0, math.ceil(height / 2) - ph) if config.ground else 0
        spots = [
            (int(rng.integers(0, width - pw + 1)), int(rng.integers(top, height - ph + 1)))
            for _ in range(config.tries)
        ]
        placed = next_id <= MAX_INSTANCES and bool(mask.any())
        spot = next(
            (s for s in spots if placed and keeps_others(shadow, imap, mask, *s, config)), None
        )
        if spot is None:
            steps.append({**step, "placed": False})
            continue
        x, y = spot
        imap[y : y + ph, x : x + pw][mask] = next_id
        shadow.instances.append(Instance(next_id, want["class"], mask, (x, y)))
        steps.append({**step, "placed": True, "position": [x, y], "id": next_id})
        next_id += 1
    return steps


def apply_pastes(
    sample: Sample, steps: list[Step], donors: list[tuple[np.ndarray, np.ndarray]]
) -> Sample:
    """Renders placed paste steps in order; ``donors`` (mask, RGB pixels) for each step.

    >>> img = np.zeros((8, 8, 3), np.uint8)
    >>> base = Sample(img, np.zeros((8, 8), np.uint16), [])
    >>> step = {"placed": True, "class": "a", "size": [2, 2], "position": [3, 3],
    ...         "flip": False, "blend": {"mode": "none"}, "id": 1}
    >>> out = apply_pastes(base, [step], [(np.ones((2, 2), bool), np.full((2, 2, 3), 9, np.uint8))])
    >>> int(out.instance_map.sum()), int(out.image[3, 3, 0])
    (4, 9)
    """
    # Here, not at the top: a run without copy-paste never loads the composite generator.
    from synthgen.generators.composite.paste import feather, poisson_paste

    image, imap = sample.image.copy(), sample.instance_map.copy()
    depth = None if sample.depth is None else sample.depth.copy()
    instances = list(sample.instances)
    touched: set[int] = set()
    for step, (donor_mask, donor_pixels) in zip(steps, donors, strict=True):
        if not step.get("placed"):
            continue
        (pw, ph), (x, y), blend = step["size"], step["position"], step["blend"]
        mask = paste_mask(donor_mask, step)
        colour = _donor_colour(donor_mask, donor_pixels, step)
        window = image[y : y + ph, x : x + pw]
        if blend["mode"] == "poisson":
            poisson_paste(image, np.clip(colour + 0.5, 0, 255).astype(np.uint8), mask, x, y)
        else:
            hard = cv2.resize(donor_mask.astype(np.uint8), (pw, ph), interpolation=0)
            alpha = hard[:, ::-1] if step["flip"] else hard
            alpha = alpha.astype(np.float32)
            if blend["mode"] == "gaussian":
                alpha = feather(alpha, blend["sigma"])
            a = alpha[:, :, None]
            window[:] = np.clip(colour * a + window * (1 - a) + 0.5, 0, 255).astype(np.uint8)
        region = imap[y : y + ph, x : x + pw]
        touched.update(int(v) for v in np.unique(region[mask]) if v)
        region[mask] = step["id"]
        if depth is not None:
            # The pasted object stands in front of what it covers.
            seen = depth[y : y + ph, x : x + pw][mask]
            seen = seen[seen > 0]
            depth[y : y + ph, x : x + pw][mask] = 0.5 * float(seen.min()) if seen.size else 0.0
        instances.append(Instance(step["id"], step["class"], mask, (x, y)))
    # Covered pixels change the labels of what lies below: derive them from the map.
    instances = [replace(i, source=None) if i.id in touched else i for i in instances]
    return Sample(
        image,
        imap,
        instances,
        plan=sample.plan,
        depth=depth,
        camera=sample.camera,
        document=sample.document,
    )


def _donor_colour(mask: np.ndarray, pixels: np.ndarray, step: Step) -> np.ndarray:
    """The donor's pixels at the paste's size, its edge colour bled past the mask (blends
    that read beyond the mask then see the object, not the donor's old background)."""
    from synthgen.generators.composite.paste import bleed

    rgba = np.dstack([pixels, mask.astype(np.uint8) * 255])
    if step["blend"]["mode"] != "none":
        rgba = bleed(rgba)
    pw, ph = step["size"]
    shrink = pw < mask.shape[1] or ph < mask.shape[0]
    resized = cv2.resize(
        rgba[:, :, :3], (pw, ph), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    )
    return (resized[:, ::-1] if step["flip"] else resized).astype(np.float32)
