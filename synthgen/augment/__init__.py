"""Edge-case augmentation of existing (or generated) datasets, labels kept exact.

Named, parameterized, seeded profiles (:mod:`synthgen.augment.profiles`): geometric
(hflip, rotate, perspective, crop, scale_down), photometric (night, fog, rain, snow,
sun_glare, motion_blur, defocus, overexposure, jpeg, lens_dirt) and occlusion
(occluder). Each copy's plan is drawn first, then applied; labels are never moved, they
are derived again from the moved instance map and masks.

>>> import numpy as np
>>> from synthgen.augment import profile, plan_copy
>>> plan_copy([profile("jpeg", quality=50)], np.random.default_rng([0, 0, 0]))
[{'op': 'jpeg', 'quality': 50}]
"""

from __future__ import annotations

from synthgen.augment.profiles import PROFILE_NAMES, apply_plan, plan_copy, profile

__all__ = ["PROFILE_NAMES", "apply_plan", "plan_copy", "profile"]
