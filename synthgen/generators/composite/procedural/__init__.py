"""Built-in assets drawn procedurally: traffic signs, clutter and street backgrounds.

They let the compositor's quickstart run offline with no files and still produce data that
a person can read at a glance: sign cutouts with keypoints, unlabeled clutter cutouts and
street-like backgrounds. Every function draws from its own fixed seed (one sub-seed per
item, so asking for more items keeps the first ones), returns the same bytes in every
process, and is cached: repeated calls are free and share read-only arrays.

Coordinates are continuous: pixel (x, y) covers [x, x+1) x [y, y+1). Sign faces are
rasterized from signed distances taken at pixel centres, so an edge lies exactly where the
geometry puts it, its alpha is the pixel's coverage, and keypoints sit exactly on the points
they name. Other cutout shapes are drawn with OpenCV at 4x and area-averaged down.

>>> signs = traffic_sign_cutouts(variants=2)
>>> [spec.name for spec in TRAFFIC_SIGNS][:3], signs["stop"][0].rgba.shape
(['stop', 'yield', 'speed_limit'], (160, 160, 4))
"""

from synthgen.generators.composite.procedural.clutter import CLUTTER_COUNT, distractor_cutouts
from synthgen.generators.composite.procedural.signs import (
    SIGN_VARIANTS,
    TRAFFIC_SIGNS,
    ClassSpec,
    ProceduralCutout,
    traffic_sign_cutouts,
)
from synthgen.generators.composite.procedural.streets import BACKGROUND_COUNT, street_backgrounds

__all__ = [
    "BACKGROUND_COUNT",
    "CLUTTER_COUNT",
    "SIGN_VARIANTS",
    "TRAFFIC_SIGNS",
    "ClassSpec",
    "ProceduralCutout",
    "distractor_cutouts",
    "street_backgrounds",
    "traffic_sign_cutouts",
]
