"""Barcodes and 2D codes for document pages, made and read by zxing-cpp.

A code is drawn from its module matrix at a whole number of pixels per module, with crisp
edges (no anti-aliasing), so a reader decodes it as it would a print. It carries no
human-readable line: no unlabeled letters reach the page (see figures.py). The label
records what a reader decodes: the text zxing-cpp says it encoded (an EAN-13 given 12
digits gains its check digit).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from synthgen.errors import AssetError

# symbology -> zxing-cpp's BarcodeFormat name
FORMATS = {
    "code128": "Code128",
    "ean13": "EAN13",
    "qr": "QRCode",
    "datamatrix": "DataMatrix",
    "pdf417": "PDF417",
}
LINEAR = frozenset({"code128", "ean13"})
# Blank modules each side, as the symbologies' specifications ask (ISO/IEC 15417 for
# Code 128, GS1 for EAN-13's left side, ISO/IEC 18004, 16022 and 15438).
QUIET_MODULES = {"code128": 10, "ean13": 11, "qr": 4, "datamatrix": 1, "pdf417": 2}


def encode(symbology: str, data: str, where: str) -> tuple[np.ndarray, str]:
    """The code's dark modules, (rows, cols) bool (one row for a linear code), and the
    text it encodes. Raises AssetError naming ``where`` when the data cannot be encoded."""
    if symbology == "ean13" and not (data.isascii() and data.isdigit() and len(data) in (12, 13)):
        # zxing-cpp would pad a shorter number with zeros: a different number.
        raise AssetError(
            f"{where}: EAN-13 encodes 12 digits and a check digit, got {data!r}; give a "
            "12- or 13-digit field, or use symbology code128"
        )
    try:
        return _encode(symbology, data)
    except ValueError as err:
        raise AssetError(
            f"{where}: {symbology} cannot encode {data!r} ({err}); change the data or the "
            "symbology (qr and pdf417 take any text)"
        ) from None


@lru_cache(maxsize=256)
def _encode(symbology: str, data: str) -> tuple[np.ndarray, str]:
    import zxingcpp  # here: only pages with a code load it

    code: Any = zxingcpp.create_barcode(data, getattr(zxingcpp.BarcodeFormat, FORMATS[symbology]))
    image = np.asarray(code.to_image(scale=1, add_hrt=False, add_quiet_zones=False))
    dark = image < 128
    if symbology in LINEAR:
        dark = dark[:1]
    dark.flags.writeable = False  # cached
    return dark, str(code.text)


def draw(modules: np.ndarray, module_px: int, height_px: int) -> np.ndarray:
    """The code's coverage, uint8 0/255: each module ``module_px`` square (a linear code's
    bars ``height_px`` tall)."""
    dark = np.repeat(np.repeat(modules, module_px, axis=0), module_px, axis=1)
    if modules.shape[0] == 1:
        dark = np.repeat(dark[:1], height_px, axis=0)
    return dark.astype(np.uint8) * 255
