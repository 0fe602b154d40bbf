"""Draws a laid-out page: ink into the image and, pixel for pixel, ids into the id map.

A word's ink is what FreeType's coverage mask marks (alpha > 0): the same pixels are
blended into the image and set to the word's id, so a word box derived from the id map
contains all of the word's ink and nothing else. A word landing on another word's ink is
refused: its neighbour's box would silently shrink.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from synthgen.generators.document import barcodes, figures, fonts
from synthgen.generators.document.layout import Graphic, Layout, LayoutError, PlacedWord
from synthgen.sample import Instance

ID_DTYPE = np.uint16  # ids stay below 65536 (sample.MAX_INSTANCES); OpenCV warps uint16


def render_layout(
    layout: Layout, paper: tuple[int, int, int], ink: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray, list[Instance]]:
    """The page image (H, W, 3) uint8, its id map (H, W) and one Instance per word and
    graphic (category ``word`` or the graphic's kind, amodal mask = its own pixels)."""
    # Three memset planes merged: 30x faster than broadcasting a colour into (H, W, 3).
    shape = (layout.height, layout.width)
    image = cv2.merge([np.full(shape, channel, np.uint8) for channel in paper])
    id_map = np.zeros((layout.height, layout.width), ID_DTYPE)
    instances: list[Instance] = []
    for rule in layout.rules:
        y0 = rule.y - rule.thickness // 2
        cv2.rectangle(image, (rule.x0, y0), (rule.x1 - 1, y0 + rule.thickness - 1), ink, -1)
    for graphic in layout.graphics:
        if not graphic.over_text:
            instances.append(_graphic(image, id_map, graphic, ink))
    for word in layout.words:
        instances.append(_word(image, id_map, word, ink))
    for graphic in layout.graphics:
        if graphic.over_text:  # a stamp: words keep their ink, the stamp the rest
            instances.append(_graphic(image, id_map, graphic, ink))
    return image, id_map, instances


def coverage(word: PlacedWord) -> tuple[np.ndarray, tuple[int, int]]:
    """The word's anti-aliased coverage (h, w) uint8 and its top-left pixel on the page."""
    font = fonts.sized(word.font, word.size)
    core, (dx, dy) = font.getmask2(word.text, mode="L", anchor="ls")
    alpha = np.asarray(Image.Image()._new(core))
    return alpha, (word.x + dx, word.baseline + dy)


def _word(
    image: np.ndarray, id_map: np.ndarray, word: PlacedWord, ink: tuple[int, int, int]
) -> Instance:
    alpha, (x, y) = coverage(word)
    window = _clip(x, y, alpha.shape, id_map.shape)
    if window is None:
        raise LayoutError(f"the word {word.text!r} lies outside the page")
    (ys, xs), (ay, ax) = window
    alpha = alpha[ay, ax]
    ink_px = alpha > 0
    if not ink_px.any():
        raise LayoutError(f"the word {word.text!r} draws no ink at {word.size} px")
    ids = id_map[ys, xs]
    if (ids[ink_px] != 0).any():
        other = int(ids[ink_px][ids[ink_px] != 0][0])
        raise LayoutError(
            f"the word {word.text!r} overlaps the ink of word id {other}; widen the columns "
            "or move blocks apart in the template"
        )
    blend(image[ys, xs], alpha, ink)
    ids[ink_px] = word.id
    return Instance(word.id, "word", amodal_mask=ink_px, amodal_origin=(xs.start, ys.start))


def _graphic(
    image: np.ndarray, id_map: np.ndarray, graphic: Graphic, ink: tuple[int, int, int]
) -> Instance:
    x0, y0, x1, y1 = graphic.box
    if graphic.code is None:
        rgb, alpha = figures.draw(graphic.kind, x1 - x0, y1 - y0, graphic.seed, ink)
    else:
        code = graphic.code
        modules, _ = barcodes.encode(code.symbology, code.data, graphic.kind)
        alpha = barcodes.draw(modules, code.module_px, y1 - y0)
        rgb = np.empty((*alpha.shape, 3), np.uint8)
        rgb[:] = ink
    window = _clip(x0, y0, alpha.shape, id_map.shape)
    if window is None:
        raise LayoutError(f"a {graphic.kind} lies outside the page")
    (ys, xs), (ay, ax) = window
    alpha, rgb = alpha[ay, ax], rgb[ay, ax]
    if graphic.over_text:  # stamp ink multiplies: the text under it stays readable
        region = image[ys, xs].astype(np.uint16)
        a = alpha[..., None].astype(np.uint16)
        tinted = region * rgb // 255
        image[ys, xs] = ((region * (255 - a) + tinted * a + 127) // 255).astype(np.uint8)
    else:
        blend(image[ys, xs], alpha, rgb)
    ink_px = alpha > 0
    ids = id_map[ys, xs]
    ids[ink_px & (ids == 0)] = graphic.id
    return Instance(
        graphic.id, graphic.kind, amodal_mask=ink_px, amodal_origin=(xs.start, ys.start)
    )


def blend(region: np.ndarray, alpha: np.ndarray, colour: np.ndarray | tuple[int, int, int]) -> None:
    """region = region * (1 - a) + colour * a, in place, exact integer rounding."""
    a = alpha[..., None].astype(np.uint16)
    colour16 = np.asarray(colour, np.uint16)
    region[:] = ((region.astype(np.uint16) * (255 - a) + colour16 * a + 127) // 255).astype(
        np.uint8
    )


def _clip(
    x: int, y: int, shape: tuple[int, ...], page: tuple[int, ...]
) -> tuple[tuple[slice, slice], tuple[slice, slice]] | None:
    """The page window of a patch at (x, y) and the patch's part inside the page."""
    h, w = shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, page[1]), min(y + h, page[0])
    if x0 >= x1 or y0 >= y1:
        return None
    return (slice(y0, y1), slice(x0, x1)), (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))
