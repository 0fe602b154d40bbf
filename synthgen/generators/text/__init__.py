"""Text corpora from sentence templates: entity spans, intents, sentiment, attributes."""

from synthgen.generators.text.generator import TextGenerator

__all__ = ["TextGenerator"]
