"""Text-line images for OCR: the exact string, and a box per word and per character."""

from synthgen.generators.textline.generator import TextLinesGenerator

__all__ = ["TextLinesGenerator"]
