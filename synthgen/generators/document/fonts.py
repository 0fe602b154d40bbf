"""Font files by name, their character maps, and sized Pillow fonts (cached per process).

A word is drawn only in a font whose character map holds every one of its characters:
otherwise FreeType draws a "tofu" box while the label says the real character (TRDG's
most-filed bug). Text is laid out with Pillow's raqm engine (HarfBuzz shaping, kerning,
ligatures) where Pillow has it.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from functools import cache
from pathlib import Path

from PIL import ImageFont, features

from synthgen.errors import AssetError

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
SYSTEM_FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
    Path("/Library/Fonts"),
    Path("C:/Windows/Fonts"),
)
INSTALL_HINT = (
    "install DejaVu (Debian/Ubuntu: apt install fonts-dejavu-core) or matplotlib "
    "(pip install matplotlib, which ships DejaVu), or give a font file's path"
)
LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
# Scripts whose glyphs need shaping (joining, reordering): refused without raqm.
_NEEDS_SHAPING = ("ARABIC", "HEBREW", "DEVANAGARI", "BENGALI", "THAI", "TAMIL", "SYRIAC")


def font_dirs() -> list[Path]:
    dirs = [d for d in SYSTEM_FONT_DIRS if d.is_dir()]
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin is not None:
        dirs.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    return dirs


@cache
def _index() -> dict[str, Path]:
    """Font files by stem (DejaVuSans-Bold) and by file name, first found wins."""
    found: dict[str, Path] = {}
    for folder in font_dirs():
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() in FONT_SUFFIXES:
                found.setdefault(path.stem, path)
                found.setdefault(path.name, path)
    return found


def resolve_font(name: str, base_dir: Path) -> Path:
    """A font's file: a path (relative to the recipe) or a name found in the font folders."""
    candidate = Path(name).expanduser()
    if candidate.suffix.lower() in FONT_SUFFIXES:
        path = candidate if candidate.is_absolute() else base_dir / candidate
        if path.is_file():
            return path
        raise AssetError(f"font file {path} does not exist; fix the path in fonts")
    found = _index().get(name)
    if found is None:
        raise AssetError(
            f"font '{name}' is not installed (searched {', '.join(map(str, font_dirs()))}); "
            + INSTALL_HINT
        )
    return found


@cache
def charset(path: Path) -> frozenset[int]:
    """Code points the font has glyphs for (its best Unicode cmap)."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            # Placeholder glyph names: only the code points are needed, and the real names
            # (the post table) cost as much again to read.
            font.setGlyphOrder([f"g{i}" for i in range(font["maxp"].numGlyphs)])
            cmap = font.getBestCmap()
    except (TTLibError, OSError) as err:
        raise AssetError(f"font file {path} cannot be read: {err}") from None
    if not cmap:
        raise AssetError(f"font file {path} has no Unicode character map")
    return frozenset(cmap)


def missing_chars(text: str, path: Path) -> list[str]:
    """Characters of ``text`` the font cannot draw (spaces and format controls need none)."""
    have = charset(path)
    return [
        ch
        for ch in text
        if ord(ch) not in have and not ch.isspace() and unicodedata.category(ch) != "Cf"
    ]


def check_shaping(text: str) -> None:
    """Refuses scripts that would come out garbled without raqm (and right-to-left text,
    which the layout does not order yet)."""
    for ch in text:
        name = unicodedata.name(ch, "")
        if unicodedata.bidirectional(ch) in ("R", "AL"):
            raise AssetError(
                f"right-to-left text ({ch!r} in {text!r}) is not laid out yet; "
                "use a left-to-right locale"
            )
        if LAYOUT is ImageFont.Layout.BASIC and name.startswith(_NEEDS_SHAPING):
            raise AssetError(
                f"{text!r} needs text shaping, which this Pillow lacks (no raqm); "
                "install Pillow with libraqm (the PyPI wheels have it)"
            )


@cache
def sized(path: Path, size_px: int) -> ImageFont.FreeTypeFont:
    """A font at a pixel size, loaded once per process."""
    return ImageFont.truetype(str(path), size_px, layout_engine=LAYOUT)


@cache
def space_width(path: Path, size_px: int) -> float:
    """The advance of a space (asked for between every two words)."""
    return sized(path, size_px).getlength(" ")
