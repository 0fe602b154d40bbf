"""What every augment op shares: a config that draws a small JSON step from an rng.

An op's config (a pydantic model, parameters declared once with their bounds) draws the
concrete parameters of one step with :meth:`Op.draw`; the op's ``apply`` function renders
that step alone. The steps of a copy form its plan, which the manifest records.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from synthgen.config import Probability, StrictModel
from synthgen.generators.document.degrade import draw_seed, rounded

__all__ = ["Op", "Step", "draw_seed", "rounded"]

Step = dict[str, Any]


class Op(StrictModel):
    """Base of every profile's config; ``op`` (a literal in each subclass) names it."""

    family: ClassVar[str] = "photometric"  # "geometric", "photometric" or "occlusion"
    p: Probability = Field(1.0, description="probability that this op applies to a copy")

    def draw(self, rng: np.random.Generator) -> Step:
        """Concrete parameters of this op for one copy (JSON-serializable)."""
        raise NotImplementedError
