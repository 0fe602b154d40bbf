"""Street-like backgrounds drawn in perspective: streets, shop fronts, parking lots, parks."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from synthgen.generators.composite.procedural.perspective import (
    _NEAR,
    _front_wall,
    _ground,
    _Layer,
    _Look,
    _Painter,
    _Plane,
    _quads,
    _side_wall,
    _View,
)
from synthgen.generators.composite.procedural.raster import (
    _FRAC,
    _check,
    _Colour,
    _f32,
    _frozen,
    _grid,
    _noise,
    _palette,
    _Point,
    _pt,
    _rect,
)

_STREET_SEED = 0x57EE7
BACKGROUND_COUNT = 16  # backgrounds by default

# -------------------------------------------------------------------------- backgrounds
# A scene is flat polygons in a world seen by a level pinhole camera (x right, y up from
# the ground, z ahead; metres), filled far to near with OpenCV's anti-aliased polygons:
# crisp, and far faster than shading every pixel.

_Sprites = list[tuple[float, float, str]]  # (z, x, kind)

# top, middle and horizon colours of each sky, and the colour of its light
_SKIES = {
    "day": (_palette("3e76c4 8ab4e2 cedeec"), (1.0, 1.0, 0.97)),
    "overcast": (_palette("808692 a6aab2 ccced2"), (0.84, 0.87, 0.92)),
    "dusk": (_palette("263066 a46a82 faa860"), (0.78, 0.6, 0.52)),
}
_HAZE_M = {"day": 900.0, "overcast": 350.0, "dusk": 600.0}
_WALLS = _palette("964e3a cdba98 e2d8c0 969694 e0e0da a2bac8 e2c884 605a54 8ca082 d28e70 7888a0")
_CARS = _palette("ebebe8 aaacb0 1e1e22 283c6e a01e1e 5f6266 284632 c8bea0")
_PAINT, _YELLOW, _KERB, _JOINT = _palette("e2e2da deac2c bebcb6 6e6c68")


# ---------------------------------------------------------------------------- buildings


@dataclass(frozen=True)
class _Building:
    u0: float
    u1: float
    height: float
    storey: float
    bays: int
    shop: bool
    wall: np.ndarray
    sign: np.ndarray


def _buildings(
    rng: np.random.Generator, start: float, end: float, heights: _Point, shops: float, wide: float
) -> list[_Building]:
    """A row of buildings side by side from ``start`` to past ``end`` (metres), ``wide``
    times the usual 8 to 24 m wide."""
    row, u = [], start
    while u < end:
        width = rng.uniform(8, 24) * wide
        wall = _WALLS[rng.integers(len(_WALLS))] * rng.uniform(0.85, 1.1)
        bays = max(1, round(width / rng.uniform(2.4, 3.6)))
        height, storey = rng.uniform(*heights), rng.uniform(2.9, 3.6)
        shop, sign = rng.random() < shops, rng.uniform(30, 230, 3)
        row.append(_Building(u, u + width, height, storey, bays, shop, wall, sign))
        u += width
    return row


def _building(
    p: _Painter, rng: np.random.Generator, b: _Building, plane: _Plane, depth: float
) -> None:
    """A facade: wall, cornice and corner shadows, framed windows, maybe a shop front."""
    u0, u1, top = b.u0, b.u1, b.height
    trims = _quads([u0, u0, u1 - 0.25], [u1, u0 + 0.25, u1], [top - 0.4, 0, 0], top, plane)
    layers: list[_Layer] = [(_quads(u0, u1, 0, top, plane), b.wall, 0), (trims, b.wall * 0.65, 0)]
    pitch = (u1 - u0) / b.bays
    floor0 = 3.9 if b.shop else 0.0
    bays, sills = np.meshgrid(
        u0 + (np.arange(b.bays) + 0.5) * pitch,
        np.arange(floor0 + 0.9, top - 1.0 - 0.5 * b.storey, b.storey),
    )
    c, v = bays.ravel(), sills.ravel()
    half, tall = min(0.28 * pitch, 0.8), 0.5 * b.storey
    lowest = c[v == v.min()] if len(v) else c
    if len(v) and p.pixels(_quads(lowest - half, lowest + half, 1, 2, plane)) >= 0.8:
        frames = _quads(c - half - 0.12, c + half + 0.12, v - 0.12, v + tall + 0.1, plane)
        layers.append((frames, b.wall * 0.55 + 95, 3))
        panes = _quads(c - half, c + half, v, v + tall, plane)
        if b.shop:
            edges = np.linspace(u0 + 0.3, u1 - 0.3, max(1, round((u1 - u0) / 3.5)) + 1)
            shop = _quads(edges[:-1] + 0.12, edges[1:] - 0.12, 0.3, 2.7, plane)
            panes = np.concatenate([panes, shop])
            layers.append((_quads(u0 + 0.3, u1 - 0.3, 2.9, 3.6, plane), b.sign, 0))
        layers += _glass(p.look.sky, rng, panes)
    p.layers(layers, depth)


def _glass(sky: str, rng: np.random.Generator, panes: np.ndarray) -> list[_Layer]:
    """Window panes: dark glass reflecting more or less sky; at dusk some rooms are lit."""
    (_, mid, _), _ = _SKIES[sky]
    dark = _f32((36, 44, 56))
    reflect = rng.uniform(0.1, 0.4)
    pick = rng.random(len(panes))
    layers: list[_Layer] = [
        (panes[pick < 0.5], dark + (mid - dark) * reflect, 0.8),
        (panes[pick >= 0.5], dark + (mid - dark) * (reflect + 0.15), 0.8),
    ]
    if sky == "dusk":  # lamplight; over-bright because the dusk light will dim it
        layers.append((panes[rng.random(len(panes)) < 0.25], (320, 300, 240), 0.8))
    return layers


def _side_row(p: _Painter, rng: np.random.Generator, wall_x: float, far: float) -> None:
    """Buildings along one side of a street, drawn far to near. Past 40 m they are few
    pixels wide whatever their size, so there they come in fewer, longer blocks."""
    near = _buildings(rng, -15.0, 40.0, (7, 26), 0.6, 1.0)
    row = near + _buildings(rng, near[-1].u1, far, (7, 26), 0.6, 2.5)
    for b in reversed(row):
        _building(p, rng, b, _side_wall(wall_x), max((b.u0 + b.u1) / 2, 1.0))


def _front_row(
    p: _Painter,
    rng: np.random.Generator,
    z: float,
    heights: _Point,
    shops: float,
    wide: float,
    span: _Point | None = None,
) -> None:
    """Buildings facing the camera at distance ``z``, over ``span`` (x from, to; by
    default the frame's width)."""
    v = p.view
    left, right = span or (-v.xv * z / v.f - 5, (v.width - v.xv) * z / v.f + 5)
    for b in _buildings(rng, left - rng.uniform(0, 10), right, heights, shops, wide):
        _building(p, rng, b, _front_wall(z), z)


# ------------------------------------------------------------------------ sky and ground


def _sky(rng: np.random.Generator, view: _View, sky: str) -> np.ndarray:
    """A gradient sky with clouds lit from above, as uint8 over the whole frame. Drawn at
    quarter resolution: everything in it is soft."""
    (top, mid, low), _ = _SKIES[sky]
    h, w = view.height // 4, view.width // 4
    t = np.clip((np.arange(h, dtype=np.float32)[:, None] + 0.5) / max(view.yh / 4, 1.0), 0, 1)
    upper = top + (mid - top) * np.minimum(t / 0.6, 1)
    column = (upper + (low - upper) * np.clip((t - 0.6) / 0.4, 0, 1))[:, None, :]
    octaves = ((0.25, 1.0), (0.1, 0.5), (0.04, 0.25))  # feature size / height, amplitude
    puffs = sum(_noise(rng, (h, w), h * cell, 2.5) * amp for cell, amp in octaves)
    if sky == "overcast":  # a low even deck: shades of grey, no edges
        img = _f32((172, 175, 182)) * (1 + 0.12 * puffs - 0.1 * t)[..., None]
    else:
        cover = rng.uniform(0.0, 0.8)  # the threshold: more or fewer clouds
        density = np.clip((puffs - cover) / 0.4, 0, 1) * (1 - t**8)  # thin at the horizon
        above = np.roll(puffs, max(1, h // 60), axis=0)  # cloud above a point shades it
        shade = 1 - 0.35 * np.clip((above - cover) / 0.6, 0, 1)
        white = _f32((248, 248, 250) if sky == "day" else (240, 160, 140))
        img = column + (white * shade[..., None] - column) * density[..., None] * 0.95
    small = np.clip(img, 0, 255).astype(np.uint8)
    return cv2.resize(small, (view.width, view.height), interpolation=cv2.INTER_LINEAR)


def _texture(rng: np.random.Generator) -> np.ndarray:
    """A 64 x 64 tileable noise texture in about [-1, 1] (two octaves), for the ground."""
    octaves = []
    for cells in (4, 12):
        tiles = np.tile(rng.uniform(-1, 1, (cells, cells)).astype(np.float32), (3, 3))
        octaves.append(cv2.resize(tiles, (192, 192), interpolation=cv2.INTER_CUBIC)[64:128, 64:128])
    return octaves[0] * 0.7 + octaves[1] * 0.3


def _weather_ground(p: _Painter, rng: np.random.Generator, stains: float) -> None:
    """Stains fixed to the ground, and haze by distance. Both vary slowly, so the factors
    are worked out at quarter resolution and applied in saturating uint8 arithmetic."""
    v, row0 = p.view, p.view.ground_row
    rows, cols = v.height - row0, v.width
    xs = (np.arange((cols + 3) // 4, dtype=np.float32) * 4 + 2)[None, :]
    ys = (np.arange((rows + 3) // 4, dtype=np.float32) * 4 + 2 + row0)[:, None]
    z = v.f * v.cam_h / np.maximum(ys - v.yh, 0.05)
    texels = 64 / rng.uniform(8, 14)  # per metre
    map_x = ((xs - v.xv) * z * (texels / v.f)).astype(np.float32)
    map_y = np.broadcast_to(z * texels, map_x.shape).astype(np.float32)
    tex = cv2.remap(_texture(rng), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    fog = p.look.fog(z)
    gain = ((1 + stains * tex * (1 - fog)) * (1 - fog) * 128)[..., None].repeat(3, axis=2)
    haze = np.broadcast_to(fog[..., None] * p.look.horizon, gain.shape)
    gain, haze = (cv2.resize(a.astype(np.uint8), (cols, rows)) for a in (gain, haze))
    p.img[row0:] = cv2.add(cv2.multiply(p.img[row0:], gain, scale=1 / 128), haze)


def _fill_ground(p: _Painter, colour: _Colour) -> None:
    corner = (p.view.width, p.view.height)
    cv2.rectangle(p.img, (0, p.view.ground_row), corner, p.look.colour(colour, 0), -1)


def _slab_joints(x0: float, x1: float, z0: float, z1: float) -> np.ndarray:
    """Joints between 1.5 m concrete slabs over a ground rectangle, as thin quads."""
    zs, xs = np.arange(z0, min(z1, 80.0), 1.5), np.arange(x0, x1, 1.5)
    return np.concatenate(
        [_quads(x0, x1, zs, zs + 0.04, _ground), _quads(xs, xs + 0.04, z0, z1, _ground)]
    )


def _asphalt(rng: np.random.Generator, lightness: _Point) -> np.ndarray:
    return rng.uniform(*lightness) * _f32([1, 1, 1.04])


def _concrete(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(140, 185) * _f32([1.02, 1, 0.95])


# ------------------------------------------------------------------------ scene sprites


def _tree(p: _Painter, rng: np.random.Generator, x: float, z: float, scale: float) -> None:
    """A tree (scaled down: a bush) at (x, z): a trunk and a crown of leafy clumps, each
    lit on its upper left."""
    v = p.view
    crown = rng.uniform(1.4, 3.0) * scale
    trunk = rng.uniform(1.8, 3.2) if scale >= 1 else 0.3 * crown
    px = v.f / z
    feet = np.array([[x, 0, z], [x, trunk + crown * 0.5, z], [x, trunk + crown, z]])
    foot, neck, centre = v.project(feet)
    bark = p.look.colour(rng.uniform(50, 85) * _f32([1, 0.85, 0.7]), z)
    cv2.line(p.img, _pt(foot), _pt(neck), bark, max(1, round(0.3 * scale * px)), cv2.LINE_AA, 4)
    green = _palette("3c6428 50732d 325a37 6e7832")[rng.integers(4)]
    clumps = int(np.clip(crown * px / 2.5, 5, 40))  # more, smaller clumps up close
    a, d = rng.uniform(0, 2 * math.pi, clumps), np.sqrt(rng.uniform(0, 1, clumps))
    offsets = np.stack([np.cos(a) * d * 0.8, np.sin(a) * d * 0.85], axis=1)
    radii = crown * px * rng.uniform(0.14, 0.3, clumps) * (1 + 15 / (clumps + 5))
    shade = 1.0 - 0.35 * (offsets[:, 1] + 0.5 * offsets[:, 0]) + rng.uniform(-0.15, 0.15, clumps)
    order = np.argsort(-offsets[:, 1])  # lower clumps first, upper ones overlap them
    dark = p.look.colours(green * shade[order, None], z)
    light = p.look.colours(green * (shade[order, None] * 1.18 + 0.05), z)
    r = radii[order, None] * _FRAC
    at = np.round((centre + offsets[order] * crown * px - 0.5) * _FRAC)
    glint = np.round(at - 0.3 * r)  # each clump's lit side, up and to the left
    sizes = np.round(np.hstack([np.maximum(r, _FRAC), 0.55 * r])).astype(int).tolist()
    at, glint = at.astype(int).tolist(), glint.astype(int).tolist()
    for k in range(clumps):  # OpenCV draws one circle per call
        cv2.circle(p.img, at[k], sizes[k][0], dark[k], -1, cv2.LINE_AA, 4)
        if sizes[k][1] > 2 * _FRAC:
            cv2.circle(p.img, glint[k], sizes[k][1], light[k], -1, cv2.LINE_AA, 4)


def _lamp(p: _Painter, rng: np.random.Generator, x: float, z: float, reach: float) -> None:
    """A street lamp at (x, z) whose arm reaches ``reach`` metres sideways."""
    v = p.view
    tall, px = rng.uniform(6, 8), v.f / z
    foot, top, end = v.project(np.array([[x, 0, z], [x, tall, z], [x + reach, tall - 0.2, z]]))
    grey = p.look.colour((70, 74, 78), z)
    cv2.line(p.img, _pt(foot), _pt(top), grey, max(1, round(0.16 * px)), cv2.LINE_AA, 4)
    cv2.line(p.img, _pt(top), _pt(end), grey, max(1, round(0.1 * px)), cv2.LINE_AA, 4)
    axes = (max(_FRAC, round(0.4 * px * _FRAC)), max(_FRAC // 2, round(0.12 * px * _FRAC)))
    cv2.ellipse(p.img, _pt(end), axes, 0, 0, 360, grey, -1, cv2.LINE_AA, 4)


# A car seen from behind, 1.8 m wide: quads (x, y in metres) and the layers they make up.
_CAR = np.array(
    [
        [(-1.0, 0), (1.0, 0), (0.9, 0.12), (-0.9, 0.12)],  # shadow
        _rect(-0.85, 0, -0.6, 0.55),  # wheels
        _rect(0.6, 0, 0.85, 0.55),
        _rect(-0.9, 0.22, 0.9, 0.95),  # body
        [(-0.85, 0.95), (0.85, 0.95), (0.65, 1.45), (-0.65, 1.45)],  # cabin
        [(-0.75, 1.0), (0.75, 1.0), (0.6, 1.38), (-0.6, 1.38)],  # rear window
        _rect(-0.9, 0.22, 0.9, 0.36),  # bumper
        _rect(-0.85, 0.7, -0.6, 0.85),  # lights
        _rect(0.6, 0.7, 0.85, 0.85),
        _rect(-0.26, 0.42, 0.26, 0.55),  # number plate
    ]
)
_CAR_LAYERS = ((0, 1), (1, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 9), (9, 10))


def _car(p: _Painter, rng: np.random.Generator, x: float, z: float) -> None:
    """A car seen from behind (red lights) or ahead (pale lights), standing at (x, z)."""
    body = _CARS[rng.integers(len(_CARS))] * rng.uniform(0.9, 1.05)
    lights = (200, 20, 25) if rng.random() < 0.6 else (235, 230, 200)
    colours = [(20, 20, 22), (18, 18, 20), body, body * 0.92, (45, 52, 62), body * 0.5, lights]
    colours.append((225, 225, 215))
    quads = _CAR * [rng.uniform(0.94, 1.06), rng.uniform(0.93, 1.07)] + [x, 0]
    world = np.concatenate([quads, np.full((*quads.shape[:2], 1), z)], axis=-1)
    layers: list[_Layer] = [
        (world[a:b], colour, 1.5 if a == 9 else 0)  # no plate smaller than it can show
        for (a, b), colour in zip(_CAR_LAYERS, colours, strict=True)
    ]
    p.layers(layers, z)


def _sprites(p: _Painter, rng: np.random.Generator, sprites: _Sprites) -> None:
    """Trees, bushes, lamps and cars, far to near so that nearer ones hide farther ones."""
    v = p.view
    for z, x, kind in sorted(sprites, reverse=True):
        column, reach = v.xv + v.f * x / z, 4 * v.f / z  # none is wider than 8 m
        if z < 2.5 or column < -reach or column > v.width + reach:
            continue
        if kind in ("tree", "bush"):
            _tree(p, rng, x, z, 1.0 if kind == "tree" else 0.35)
        elif kind == "car":
            _car(p, rng, x, z)
        else:
            _lamp(p, rng, x, z, 1.3 if kind == "lamp-right" else -1.3)


def _along(rng: np.random.Generator, x: float, kind: str, step: float, end: float) -> _Sprites:
    """Sprites of one kind in a line along z at about ``x``, every ``step`` metres."""
    zs = np.arange(rng.uniform(3, step), end, step) + rng.uniform(-0.15, 0.15) * step
    return [(float(z), x + float(rng.uniform(-0.3, 0.3)), kind) for z in zs]


# ------------------------------------------------------------------------------- scenes


def _street_view(p: _Painter, rng: np.random.Generator) -> _Sprites:
    """Looking down a street: lanes, kerbs, paved sidewalks, buildings on both sides."""
    lanes, lane = int(rng.choice([2, 2, 3, 4])), rng.uniform(3.0, 3.6)
    left = -rng.uniform(0.4, lanes - 0.4) * lane  # the camera is somewhere over the road
    right = left + lanes * lane
    wall_l, wall_r = left - rng.uniform(2.5, 5), right + rng.uniform(2.5, 5)
    far = rng.uniform(90, 220)
    _fill_ground(p, _concrete(rng))
    joints = [_slab_joints(wall_l, left, _NEAR, far), _slab_joints(right, wall_r, _NEAR, far)]
    p.polys(np.concatenate(joints), _JOINT)
    p.polys(_quads(left, right, _NEAR, far, _ground), _asphalt(rng, (62, 98)))
    p.polys(_quads([left - 0.25, right], [left, right + 0.25], _NEAR, far, _ground), _KERB)
    _lane_markings(p, rng, left, right, lanes, far)
    _weather_ground(p, rng, 0.16)
    _front_row(p, rng, far, (10, 30), 0.3, 1.5, (wall_l - 15, wall_r + 15))
    _side_row(p, rng, wall_l, far)
    _side_row(p, rng, wall_r, far)
    sprites = _traffic(rng, left, right, lanes, far)
    for wall, kerb, reach in ((wall_l, left, 1.0), (wall_r, right, -1.0)):
        if rng.random() < 0.7:
            sprites += _along(rng, (wall + kerb) / 2, "tree", rng.uniform(7, 14), far * 0.6)
        if rng.random() < 0.6:
            lamp = "lamp-right" if reach > 0 else "lamp-left"
            sprites += _along(rng, kerb - 0.5 * reach, lamp, rng.uniform(22, 35), far)
    return sprites


def _lane_markings(
    p: _Painter, rng: np.random.Generator, left: float, right: float, lanes: int, far: float
) -> None:
    lane = (right - left) / lanes
    american = rng.random() < 0.35  # a double yellow centre line
    period, dash = rng.uniform(9, 13), rng.uniform(2.5, 4.5)
    for k in range(1, lanes):
        c = left + k * lane
        if american and k == lanes // 2:
            p.polys(
                _quads([c - 0.22, c + 0.08], [c - 0.08, c + 0.22], _NEAR, far, _ground), _YELLOW
            )
        else:
            z0 = np.arange(_NEAR + rng.uniform(0, period), far, period)
            p.polys(_quads(c - 0.07, c + 0.07, z0, z0 + dash, _ground), _PAINT)
    if rng.random() < 0.6:
        p.polys(
            _quads([left + 0.3, right - 0.45], [left + 0.45, right - 0.3], _NEAR, far, _ground),
            _PAINT,
        )
    if rng.random() < 0.4:  # a zebra crossing
        zebra, xs = rng.uniform(7, 30), np.arange(left + 0.5, right - 0.5, 1.0)
        p.polys(_quads(xs, xs + 0.5, zebra, zebra + 4, _ground), _PAINT)


def _traffic(
    rng: np.random.Generator, left: float, right: float, lanes: int, far: float
) -> _Sprites:
    """A few cars driving, and cars parked along the kerbs of wide streets."""
    lane = (right - left) / lanes
    cars: _Sprites = [
        (float(rng.uniform(8, far * 0.5)), left + (k + 0.5) * lane, "car")
        for k in rng.choice(lanes, size=int(rng.integers(0, 4)))
    ]
    if lanes >= 3:
        for kerb in (left + 1.1, right - 1.1):
            zs = np.cumsum(rng.uniform(5, 14, 12)) + rng.uniform(0, 6)
            cars += [(float(z), kerb, "car") for z in zs[rng.random(12) < 0.7]]
    return cars


def _shop_fronts(p: _Painter, rng: np.random.Generator) -> _Sprites:
    """Looking across a street at a row of shop fronts."""
    v = p.view
    near = rng.uniform(2.5, 7)
    far_kerb = near + rng.uniform(6.5, 11)
    wall = far_kerb + rng.uniform(3, 6)
    _fill_ground(p, _concrete(rng))
    joints = [_slab_joints(-400, 400, _NEAR, near), _slab_joints(-400, 400, far_kerb, wall)]
    p.polys(np.concatenate(joints), _JOINT)
    p.polys(_quads(-400, 400, near, far_kerb, _ground), _asphalt(rng, (62, 98)))
    p.polys(_quads(-400, 400, [near - 0.25, far_kerb], [near, far_kerb + 0.25], _ground), _KERB)
    centre = (near + far_kerb) / 2
    x0 = np.arange(-60, 60, rng.uniform(9, 12)) + rng.uniform(0, 9)
    p.polys(_quads(x0, x0 + 3, centre - 0.07, centre + 0.07, _ground), _PAINT)
    _weather_ground(p, rng, 0.16)
    _front_row(p, rng, wall, (5, 20), 0.85, 1.0)
    if rng.random() < 0.3:
        return []
    reach = (v.width - v.xv) * wall / v.f + 10
    return [
        (far_kerb + 1.0, float(x), "tree") for x in np.arange(-reach, reach, rng.uniform(7, 12))
    ]


def _parking_lot(p: _Painter, rng: np.random.Generator) -> _Sprites:
    """A parking lot: rows of painted bays, parked cars, a low store behind, lamps, trees."""
    start, end = rng.uniform(2, 8), rng.uniform(40, 70)
    bay, half = rng.uniform(2.4, 2.8), rng.uniform(20, 45)
    _fill_ground(p, _asphalt(rng, (88, 125)))
    p.polys(_quads(-400, 400, end + 1, 999, _ground), (78, 112, 50))  # a grass verge
    rows, xs = np.arange(start, end - 10, 17.0), np.arange(-half, half, bay)
    lines = [_quads(xs, xs + 0.12, z, z + 10, _ground) for z in rows]  # two rows of 5 m bays
    lines += [
        _quads(
            -half,
            xs[-1] + 0.12,
            z + np.array([0, 4.94, 9.88]),
            z + np.array([0.12, 5.06, 10]),
            _ground,
        )
        for z in rows
    ]
    if len(rows):
        p.polys(np.concatenate(lines), _PAINT if rng.random() < 0.7 else _YELLOW)
    _weather_ground(p, rng, 0.2)
    _front_row(p, rng, end + rng.uniform(8, 25), (5, 11), 1.0, 2.0)
    sprites: _Sprites = [
        (end + 2.0, float(x), "tree") for x in np.arange(-half, half, rng.uniform(6, 10))
    ]
    sprites += [
        (float(z) + 8.5, float(x), "lamp-right")
        for z in rows
        for x in np.arange(6 - half, half, 22.0)
    ]
    full = rng.uniform(0.2, 0.7)
    bays = [(float(z + dz), float(x + bay / 2)) for z in rows for dz in (2.4, 7.6) for x in xs[:-1]]
    return sprites + [(z, x, "car") for z, x in bays if rng.random() < full]


def _park(p: _Painter, rng: np.random.Generator) -> _Sprites:
    """A park: mown grass, a winding path, trees, and sometimes a hazy skyline."""
    green = rng.uniform([62, 100, 36], [100, 135, 62])
    _fill_ground(p, green)
    if rng.random() < 0.5:  # mowing stripes
        xs = np.arange(-200, 200, 6.0)
        p.polys(_quads(xs, xs + 3, _NEAR, 300, _ground), green * 1.15)
    amp, wave, shift = rng.uniform(1, 6), rng.uniform(12, 30), rng.uniform(-4, 4)
    z = np.geomspace(_NEAR, 400, 160)
    centre = shift + amp * np.sin(z / wave)
    path = np.concatenate([_ground(centre - 1.2, z), _ground(centre + 1.2, z)[::-1]])
    p.polys(path[None], _palette("baaa8c 78787a")[rng.integers(2)])
    _weather_ground(p, rng, 0.3)
    if rng.random() < 0.5:
        _front_row(p, rng, rng.uniform(300, 450), (8, 60), 0.0, 2.0)
    zs = rng.uniform(6, 150, 50)
    xs = rng.uniform(-45, 45, 50) * zs / 40  # spread wider with distance to fill the view
    kinds = np.where(rng.random(50) < 0.8, "tree", "bush")
    off_path = np.abs(xs - (shift + amp * np.sin(zs / wave))) > 3
    trees = zip(zs[off_path], xs[off_path], kinds[off_path], strict=True)
    return [(float(z), float(x), str(k)) for z, x, k in trees]


_SCENES = (
    _street_view,
    _shop_fronts,
    _street_view,
    _parking_lot,
    _street_view,
    _park,
)  # streets come up most


def _finish(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lens softness, exposure, vignetting, uneven light and sensor grain: one gain per
    pixel, in saturating uint8 arithmetic (several times faster than float passes)."""
    h, w = img.shape[:2]
    out = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 0.8))
    xs, ys = _grid(h // 8, w // 8)
    corner = ((xs - w / 16) ** 2 + (ys - h / 16) ** 2) / ((w / 16) ** 2 + (h / 16) ** 2)
    light = rng.uniform(0.9, 1.1) - rng.uniform(0.1, 0.3) * corner
    gain = cv2.resize(
        ((light + 0.04 * _noise(rng, corner.shape, 5)) * 128).astype(np.uint8), (w, h)
    )
    amp = int(rng.integers(3, 7))
    grain = rng.integers(-amp, amp + 1, (h, w), dtype=np.int16)
    gain = cv2.add(gain, grain, dtype=cv2.CV_8U)
    return cv2.multiply(out, cv2.merge([gain] * 3), scale=1 / 128)


def _background(k: int, width: int, height: int) -> np.ndarray:
    rng = np.random.default_rng([_STREET_SEED, k])
    sky = str(rng.choice(["day", "overcast", "dusk"], p=[0.55, 0.25, 0.2]))
    (_, _, horizon), light = _SKIES[sky]
    look = _Look(sky, _f32(light), horizon, _HAZE_M[sky])
    f, cam_h = width * rng.uniform(0.7, 1.0), rng.uniform(1.3, 1.9)
    view = _View(
        width, height, f, cam_h, width * rng.uniform(0.35, 0.65), height * rng.uniform(0.36, 0.52)
    )
    painter = _Painter(_sky(rng, view, sky), view, look)
    _sprites(painter, rng, _SCENES[k % len(_SCENES)](painter, rng))
    return _finish(painter.img, rng)


@functools.lru_cache(maxsize=4)
def _background_set(count: int, width: int, height: int) -> tuple[np.ndarray, ...]:
    return tuple(_frozen(_background(k, width, height)) for k in range(count))


def street_backgrounds(
    count: int = BACKGROUND_COUNT, width: int = 800, height: int = 600
) -> list[np.ndarray]:
    """``count`` street-like backgrounds, ``height`` x ``width`` x 3 uint8 RGB: streets seen
    along the road and across it, parking lots and parks; by day, overcast or at dusk.

    >>> street_backgrounds(count=1, width=320, height=240)[0].shape
    (240, 320, 3)
    """
    _check(1, count=count)
    _check(64, width=width, height=height)
    return list(_background_set(count, width, height))
