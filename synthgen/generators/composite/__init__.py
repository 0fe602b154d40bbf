"""Cut-paste compositor: cutouts on backgrounds, with labels from the final pixels."""

from synthgen.generators.composite.generator import CompositeGenerator

__all__ = ["CompositeGenerator"]
