"""Built-in 3D models made with trimesh, so 3D scene recipes run offline with no assets.

``kitchen_models()``: labeled objects a person recognizes on a kitchen table (mugs,
bowls, bottles, cans, plates, books, glasses, bananas), two to three variants per class,
real sizes in metres, keypoints on their surfaces; ``KITCHEN`` lists the classes.
``clutter_models()``: unlabeled distractors; ``primitive_models()``: plain solids.
``table_top``, ``bin_box`` and ``floor``: supports with their top at z = 0.

Every model is a closed, consistently wound mesh (separate closed bodies at most) of at
most 3,000 faces, resting upright on z = 0 and centred in x, y, coloured per face or
textured. Everything is built from fixed numbers and fixed seeds: the same vertices and
colours in every process. Model sets are built once per process and shared; treat their
meshes as read-only.

>>> [c.name for c in KITCHEN][:3], kitchen_models()[0].name
(['mug', 'bowl', 'bottle'], 'mug_0')
"""

from synthgen.generators.scene3d.builtin.clutter import (
    build_clutter_models,
    clutter_models,
    primitive_models,
)
from synthgen.generators.scene3d.builtin.kitchen import (
    KITCHEN,
    CategorySpec,
    ModelSpec,
    build_kitchen_models,
    kitchen_models,
)
from synthgen.generators.scene3d.builtin.support import bin_box, floor, table_top

__all__ = [
    "KITCHEN",
    "CategorySpec",
    "ModelSpec",
    "bin_box",
    "build_clutter_models",
    "build_kitchen_models",
    "clutter_models",
    "floor",
    "kitchen_models",
    "primitive_models",
    "table_top",
]
