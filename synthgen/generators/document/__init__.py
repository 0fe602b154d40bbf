"""Document pages from declarative templates: every word, line, field and block labeled."""

from synthgen.generators.document.generator import DocumentGenerator

__all__ = ["DocumentGenerator"]
