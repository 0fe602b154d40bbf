"""Document pages from declarative templates: every word, line, field and block labeled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthgen.generators.document.generator import DocumentGenerator

__all__ = ["DocumentGenerator"]


def __getattr__(name: str) -> Any:
    # The generator (templates, layout, their pydantic models) loads on first use: the
    # augment profiles import only the degradations (~0.1 s of CPU less per worker).
    if name == "DocumentGenerator":
        from synthgen.generators.document.generator import DocumentGenerator

        return DocumentGenerator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
