"""The cut-paste compositor: cutouts pasted onto backgrounds with exact occlusion.

``plan`` draws every random choice (background crop, objects, transforms, blend modes,
positions) and checks the placement rules on the objects' real masks, not their boxes;
``render`` paints the plan bottom to top. Each object's pixels go into the instance map in
paint order, so a later object hides what it covers and every label, derived afterwards,
shows only what is visible.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from synthgen.config import Problem, RecipeError
from synthgen.errors import PlacementError
from synthgen.generators.base import Generator, SkipSample
from synthgen.generators.classes import categories
from synthgen.generators.composite import paste
from synthgen.generators.composite.assets import BackgroundLibrary, Cutout, CutoutLibrary
from synthgen.generators.composite.config import (
    BlendMode,
    CompositeConfig,
    Distractors,
    Objects,
    Transform,
)
from synthgen.geometry import transform_points
from synthgen.sample import Category, Instance, Sample

RESAMPLE_EVERY = 10  # failed positions before an object also gets a new size and pose


@dataclass
class _Item:
    """An object being planned: its plan entry and its rendered patch."""

    entry: dict[str, Any]
    patch: paste.Patch


class CompositeGenerator(Generator[CompositeConfig]):
    config_type = CompositeConfig

    def __init__(self, config: CompositeConfig, base_dir: Path) -> None:
        super().__init__(config, base_dir)
        canvas = (config.canvas.width, config.canvas.height)
        self.objects = CutoutLibrary(config.objects.source, base_dir, labeled=True)
        self.distractors = (
            CutoutLibrary(config.distractors.source, base_dir, labeled=False)
            if config.distractors
            else None
        )
        self.backgrounds = BackgroundLibrary(config.backgrounds, base_dir, canvas)
        self._check_class_names()
        self._patches: dict[str, paste.Patch] = {}
        weights = np.array(list(config.blending.modes.values()))
        self._blend_modes = list(config.blending.modes)
        self._blend_cdf = (np.cumsum(weights) / weights.sum())[:-1].tolist()

    # ------------------------------------------------------------------ setup and checks

    def _check_class_names(self) -> None:
        names = [c.name for c in self.objects.classes]
        for key, unknown in self.config.objects.unknown_classes(names).items():
            message = f"unknown classes {unknown}; the classes are {sorted(names)}"
            raise RecipeError([Problem(("generator", "objects", key), message)])

    def categories(self) -> list[Category]:
        return categories(self.objects.classes)

    def check(self) -> None:
        self.objects.check(lambda c: self._too_large(c, self.config.objects))
        if self.distractors and self.config.distractors:
            cfg = self.config.distractors
            self.distractors.check(lambda c: self._too_large(c, cfg))
        self.backgrounds.check()

    def _too_large(self, cutout: Cutout, cfg: Transform) -> str | None:
        if cfg.relative_to == "canvas":
            return None
        w, h = cutout.size
        cw, ch = self.config.canvas.width, self.config.canvas.height
        s = cfg.scale.min
        if w * s > cw or h * s > ch:
            return (
                f"{w}x{h} cutout is larger than the {cw}x{ch} canvas even at the smallest "
                f"scale {s}; lower objects.scale, use relative_to: canvas, or crop the cutout"
            )
        return None

    def fingerprint(self) -> dict[str, Any]:
        fp: dict[str, Any] = {
            "objects": self.objects.fingerprint(),
            "backgrounds": self.backgrounds.fingerprint(),
        }
        if self.distractors:
            fp["distractors"] = self.distractors.fingerprint()
        return fp

    # ------------------------------------------------------------------ plan

    def plan(self, rng: np.random.Generator) -> dict[str, Any]:
        self._patches.clear()
        cfg = self.config
        width, height = cfg.canvas.width, cfg.canvas.height
        plan: dict[str, Any] = {"canvas": [width, height], "background": self.backgrounds.plan(rng)}

        names = [c.name for c in self.objects.classes]
        items = [self._new_item(rng, cfg.objects, cls) for cls in cfg.objects.draw(rng, names)]
        if cfg.distractors and self.distractors:
            n = cfg.distractors.count.sample(rng)
            items += [self._new_item(rng, cfg.distractors, None) for _ in range(n)]
        items = self._z_order(rng, items)

        owner = np.zeros((height, width), dtype=np.uint16)  # index+1 of the item on top
        hidden = np.zeros(len(items) + 1)
        inside = np.zeros(len(items) + 1)
        placed = []
        for k, item in enumerate(items, start=1):
            if self._place(rng, item, k, owner, hidden, inside):
                placed.append(item)
            elif cfg.placement.on_failure != "fewer":
                self._fail(item, len(placed))
        plan["objects"] = [it.entry for it in placed]
        plan["unplaced"] = len(items) - len(placed)
        return plan

    def _source(self, labeled: bool) -> tuple[Objects | Distractors, CutoutLibrary]:
        """The transform settings and cutouts of labeled objects or of distractors."""
        if labeled:
            return self.config.objects, self.objects
        assert self.config.distractors is not None and self.distractors is not None
        return self.config.distractors, self.distractors

    def _new_item(
        self, rng: np.random.Generator, cfg: Objects | Distractors, cls: str | None
    ) -> _Item:
        _, library = self._source(cls is not None)
        pool = library.assets[cls if cls is not None else next(iter(library.assets))]
        asset = pool[int(rng.integers(len(pool)))]
        entry: dict[str, Any] = {"asset": asset, "category": cls}
        entry.update(self._draw_blend(rng))
        entry.update(self._draw_pose(rng, cfg, library.get(asset)))
        return _Item(entry, self._patch(entry))

    def _draw_pose(
        self, rng: np.random.Generator, cfg: Transform, cutout: Cutout
    ) -> dict[str, Any]:
        w, h = cutout.size
        s = cfg.scale.sample_log(rng)
        if cfg.relative_to == "canvas":
            s *= min(self.config.canvas.width, self.config.canvas.height) / max(w - 2, h - 2)
        jitter = None
        if cfg.perspective > 0:
            corners = rng.uniform(-cfg.perspective, cfg.perspective, size=(4, 2))
            jitter = [[_short(x), _short(y)] for x, y in corners]
        c = cfg.color
        colour = None
        if c.brightness or c.contrast or c.saturation or c.hue:
            spread = rng.uniform(-1, 1, 4) * [c.brightness, c.contrast, c.saturation, c.hue]
            colour = [_short(v) for v in np.array([1, 1, 1, 0]) + spread]
        return {
            "scale": _short(s),
            "rotation": _short(cfg.rotation.sample(rng)),
            "flip": [
                bool(rng.random() < cfg.flip.horizontal),
                bool(rng.random() < cfg.flip.vertical),
            ],
            "perspective": jitter,
            "colour": colour,
        }

    def _draw_blend(self, rng: np.random.Generator) -> dict[str, Any]:
        cfg = self.config.blending
        mode = self._blend_modes[bisect.bisect(self._blend_cdf, rng.random())]
        entry: dict[str, Any] = {"blend": mode.value}
        if mode is BlendMode.GAUSSIAN:
            entry["sigma"] = _short(cfg.feather_sigma.sample(rng))
        elif mode is BlendMode.MOTION:
            angle = _short(rng.uniform(0, 180))
            entry["motion"] = [cfg.motion_length.sample(rng) | 1, angle]
        return entry

    def _z_order(self, rng: np.random.Generator, items: list[_Item]) -> list[_Item]:
        if self.config.placement.z_order == "large_behind":
            return sorted(items, key=lambda it: -it.patch.area)
        return [items[i] for i in rng.permutation(len(items))]

    def _place(
        self,
        rng: np.random.Generator,
        item: _Item,
        k: int,
        owner: np.ndarray,
        hidden: np.ndarray,
        inside: np.ndarray,
    ) -> bool:
        """Tries positions until the rules hold; commits the item to ``owner`` if one does."""
        cfg = self.config.placement
        height, width = owner.shape
        labeled = item.entry["category"] is not None
        for attempt in range(cfg.attempts):
            if attempt and attempt % RESAMPLE_EVERY == 0:
                transform, library = self._source(labeled)
                item.entry.update(self._draw_pose(rng, transform, library.get(item.entry["asset"])))
                item.patch = self._patch(item.entry)
            mask = item.patch.mask
            ph, pw = mask.shape
            slack_x, slack_y = int(pw * cfg.max_truncation), int(ph * cfg.max_truncation)
            x = int(rng.integers(-slack_x, max(width - pw + slack_x, -slack_x) + 1))
            y = int(rng.integers(-slack_y, max(height - ph + slack_y, -slack_y) + 1))
            clipped = _clip(mask, x, y, width, height)
            seen = int(np.count_nonzero(clipped[0])) if clipped else 0
            if labeled and (seen == 0 or 1 - seen / item.patch.area > cfg.max_truncation + 1e-9):
                continue
            if clipped:
                sub, window = clipped
                # Masking by multiplication sends uncovered pixels to bin 0 (background,
                # ignored): twice as fast as gathering the masked pixels first.
                covered = np.bincount((owner[window] * sub).ravel(), minlength=len(hidden))
                hit = np.flatnonzero(covered[1:]) + 1  # labeled objects this one would cover
                after = hidden[hit] + covered[hit]
                if (after > (cfg.max_occlusion + 1e-9) * inside[hit]).any():
                    continue
                hidden[hit] = after
                owner[window][sub] = k if labeled else 0
                if labeled:
                    inside[k] = seen
            item.entry["at"] = [x, y]
            return True
        return False

    def _fail(self, item: _Item, placed: int) -> None:
        cfg = self.config.placement
        what = item.entry["category"] or "distractor"
        message = (
            f"could not place a '{what}' object after {cfg.attempts} attempts "
            f"({placed} placed; max_occlusion={cfg.max_occlusion}, "
            f"max_truncation={cfg.max_truncation}); lower objects.count or objects.scale, "
            "raise placement.max_occlusion or placement.attempts, or set "
            "placement.on_failure: fewer (keep the sample) or skip (drop it)"
        )
        if cfg.on_failure == "skip":
            raise SkipSample(message)
        raise PlacementError(message)

    # ------------------------------------------------------------------ patches

    def _patch(self, entry: dict[str, Any]) -> paste.Patch:
        """The object's rendered patch, computed once per sample and reused by render."""
        key = repr(sorted((k, v) for k, v in entry.items() if k != "at"))
        patch = self._patches.get(key)
        if patch is None:
            patch = self._make_patch(entry)
            self._patches[key] = patch
        return patch

    def _make_patch(self, entry: dict[str, Any]) -> paste.Patch:
        _, library = self._source(entry["category"] is not None)
        cutout = library.get(entry["asset"])
        size = cutout.size
        jitter = np.array(entry["perspective"]) if entry["perspective"] is not None else None
        flip_h, flip_v = entry["flip"]
        m = paste.object_matrix(size, entry["scale"], entry["rotation"], flip_h, flip_v, jitter)
        mode = BlendMode(entry["blend"])
        margin = 1
        if mode is BlendMode.GAUSSIAN:
            margin += math.ceil(3 * entry["sigma"])
        elif mode is BlendMode.MOTION:
            margin += entry["motion"][0] // 2
        matrix, _, _, pw, ph = paste.patch_frame(m, size, margin)
        reach = mode in (BlendMode.GAUSSIAN, BlendMode.MOTION, BlendMode.POISSON)
        warped = paste.warp(cutout.rgba, cutout.pyramid, matrix, (pw, ph), reach)
        colour = cv2.cvtColor(warped, cv2.COLOR_RGBA2RGB)  # a C copy; numpy's strided one is slow
        if entry["colour"] is not None:
            colour = paste.recolour(colour, tuple(entry["colour"]), cutout.luma)
        alpha = warped[:, :, 3].astype(np.float32) * (1 / 255)
        if mode in (BlendMode.NONE, BlendMode.POISSON):
            alpha = paste.binary(alpha)
        elif mode is BlendMode.GAUSSIAN:
            alpha = paste.feather(alpha, entry["sigma"])
        elif mode is BlendMode.MOTION:
            colour, alpha = paste.motion(colour, alpha, *entry["motion"])
        mask = alpha >= paste.MASK_THRESHOLD
        area = int(np.count_nonzero(mask))
        return paste.Patch(colour, alpha, mask, area, matrix, poisson=mode is BlendMode.POISSON)

    # ------------------------------------------------------------------ render

    def render(self, plan: dict[str, Any]) -> Sample:
        width, height = plan["canvas"]
        image = self.backgrounds.render(plan["background"])
        instance_map = np.zeros((height, width), dtype=np.uint16)
        instances: list[Instance] = []
        for entry in plan["objects"]:
            patch = self._patch(entry)
            x, y = entry["at"]
            _paint(image, patch, x, y)
            clipped = _clip(patch.mask, x, y, width, height)
            label_id = len(instances) + 1 if entry["category"] is not None else 0
            if clipped:
                sub, window = clipped
                instance_map[window][sub] = label_id
            if label_id:
                instances.append(self._instance(entry, patch, label_id, x, y))
        self._patches.clear()
        return Sample(image, instance_map, instances, plan)

    def _instance(
        self, entry: dict[str, Any], patch: paste.Patch, label_id: int, x: int, y: int
    ) -> Instance:
        cutout = self.objects.get(entry["asset"])
        keypoints = None
        if cutout.keypoints is not None:
            to_image = np.array([[1, 0, x], [0, 1, y], [0, 0, 1]]) @ patch.matrix
            keypoints = transform_points(to_image, cutout.keypoints)
            if np.linalg.det(patch.matrix[:2, :2]) < 0:
                keypoints = self._swap_pairs(entry["category"], keypoints)
        return Instance(
            id=label_id,
            category=entry["category"],
            amodal_mask=patch.mask,
            amodal_origin=(x, y),
            keypoints=keypoints,
            attributes={"blend": entry["blend"]},
        )

    def _swap_pairs(self, category: str, keypoints: np.ndarray) -> np.ndarray:
        """A mirrored object's left landmark is where its right one would be: swap them."""
        spec = next(c for c in self.objects.classes if c.name == category)
        out = keypoints.copy()
        for a, b in spec.flip_pairs:
            i, j = spec.keypoints.index(a), spec.keypoints.index(b)
            out[[i, j]] = keypoints[[j, i]]
        return out


def _short(value: float) -> float:
    """A drawn value kept to 6 significant digits: the plan, which is what gets rendered,
    stays exact and short in JSON (17-digit floats would double the manifest)."""
    return float(f"{value:.6g}")


def _clip(
    patch: np.ndarray, x: int, y: int, width: int, height: int
) -> tuple[np.ndarray, tuple[slice, slice]] | None:
    """The part of a patch at (x, y) inside the canvas, and the canvas slices it covers."""
    ph, pw = patch.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + pw, width), min(y + ph, height)
    if x0 >= x1 or y0 >= y1:
        return None
    return patch[y0 - y : y1 - y, x0 - x : x1 - x], (slice(y0, y1), slice(x0, x1))


def _paint(image: np.ndarray, patch: paste.Patch, x: int, y: int) -> None:
    """Composites a patch onto the image in place."""
    if patch.poisson:
        paste.poisson_paste(image, patch.colour, patch.mask, x, y)
        return
    premul, inverse = patch.layers
    clipped = _clip(inverse, x, y, image.shape[1], image.shape[0])
    if clipped is None:
        return
    sub, window = clipped
    ys, xs = window
    roi = image[window]
    kept = cv2.multiply(roi, sub, scale=1 / 255)
    roi[:] = cv2.add(kept, premul[ys.start - y : ys.stop - y, xs.start - x : xs.stop - x])
