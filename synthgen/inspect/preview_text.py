"""``synthgen preview`` for text corpora: an HTML page with each entity highlighted.

Spans are read back from the written JSONL (or the manifest when there is none), so the
page shows what a user's loader sees: every entity marked with its type, the sample's
classes and attributes beside it.
"""

from __future__ import annotations

import colorsys
import html
import json
from pathlib import Path
from typing import Any

from synthgen.errors import OutputError
from synthgen.files import atomic_write_text
from synthgen.run.manifest import Manifest


def is_text_dataset(root: Path) -> bool:
    manifest = Manifest(root)
    if not manifest.path.exists():
        return False
    first = next(iter(manifest.records()), None)
    return first is not None and "text" in first


def write_text_preview(root: Path, out: Path, count: int = 50) -> None:
    """Writes an HTML page showing the first ``count`` samples with their entities."""
    rows = _rows(root, count)
    if not rows:
        raise OutputError(f"{root}: no finished samples to preview")
    labels = sorted({s["label"] for row in rows for s in row["spans"]})
    colours = {label: _colour(k, len(labels)) for k, label in enumerate(labels)}
    legend = " ".join(_mark(label, label, colours) for label in labels)
    body = "\n".join(_row(row, colours) for row in rows)
    page = (
        '<!doctype html><meta charset="utf-8"><title>synthgen preview</title>'
        "<style>body{font:15px/1.9 sans-serif;margin:2em}mark{padding:1px 3px;"
        "border-radius:3px}mark sub{font-size:9px;margin-left:3px}li{margin:.4em 0}"
        ".meta{color:#777;font-size:12px;margin-left:1em}</style>"
        f"<h3>{html.escape(str(root))}</h3><p>{legend}</p><ol start=0>{body}</ol>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, page + "\n")


def _rows(root: Path, count: int) -> list[dict[str, Any]]:
    jsonl = root / "jsonl" / "data.jsonl"
    if jsonl.exists():
        with jsonl.open(encoding="utf-8") as lines:
            return [json.loads(line) for line, _ in zip(lines, range(count), strict=False)]
    rows = []
    for rec in Manifest(root).records():
        if rec["status"] == "ok":
            text = rec["text"]
            spans = [{"start": s, "end": e, "label": lab} for s, e, lab in text["spans"]]
            rows.append({"text": text["text"], "spans": spans, "attributes": text["attributes"]})
            rows[-1].update(text["classes"])
        if len(rows) == count:
            break
    return rows


def _row(row: dict[str, Any], colours: dict[str, str]) -> str:
    text, at, parts = row["text"], 0, []
    for span in row["spans"]:
        parts.append(html.escape(text[at : span["start"]]))
        parts.append(_mark(text[span["start"] : span["end"]], span["label"], colours))
        at = span["end"]
    parts.append(html.escape(text[at:]))
    skip = {"id", "text", "spans", "tokens", "token_offsets", "tags", "attributes"}
    meta = {k: v for k, v in row.items() if k not in skip} | row.get("attributes", {})
    details = ", ".join(f"{k}: {v}" for k, v in meta.items())
    return f'<li>{"".join(parts)}<span class="meta">{html.escape(details)}</span></li>'


def _mark(text: str, label: str, colours: dict[str, str]) -> str:
    return (
        f'<mark style="background:{colours[label]}">{html.escape(text)}'
        f"<sub>{html.escape(label)}</sub></mark>"
    )


def _colour(k: int, n: int) -> str:
    r, g, b = colorsys.hls_to_rgb(k / max(n, 1), 0.85, 0.7)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"
