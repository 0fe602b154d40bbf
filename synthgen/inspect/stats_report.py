"""The HTML page of ``synthgen stats``: one self-contained file drawn from the JSON summaries.

Plots are matplotlib figures embedded as base64 PNG (``pip install "synthgen[stats]"``);
without matplotlib the page keeps every table and says how to get the plots. With two
summaries (``--compare``) each plot overlays or sets side by side both datasets, in shares
so that datasets of different sizes compare.

>>> html = render_html([summary])  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import functools
import html
import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from synthgen.inspect.stats import class_names, compare_stats, dataset_stats, write_json

INSTALL_HINT = 'pip install "synthgen[stats]"'
COLOURS = ("#1f77b4", "#ff7f0e")
Summary = Mapping[str, Any]


def load_matplotlib() -> Any | None:
    """matplotlib's Figure class, or None when matplotlib is not installed."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure


def render_html(summaries: Sequence[Summary], differences: Summary | None = None) -> str:
    """The report page for one summary, or two side by side with their differences."""
    figure = load_matplotlib()
    names = [_label(s, k) for k, s in enumerate(summaries)]
    parts = [_HEAD.format(title=html.escape(" vs ".join(names)))]
    parts.append(f"<h1>synthgen stats: {html.escape(' vs '.join(names))}</h1>")
    if figure is None:
        parts.append(
            f'<p class="note">Plots need matplotlib: <code>{html.escape(INSTALL_HINT)}</code>. '
            "The tables below hold every number (and the JSON beside this page).</p>"
        )
    parts.append(_overview(summaries, names))
    parts.append("<h2>Classes</h2>")
    parts.append(_class_table(summaries, names, differences))
    plots = _plots(summaries, names)
    if figure is not None:
        parts.append(_figure_tag(figure, "classes", plots["classes"]))
    for title, name, table in _sections(summaries, names):
        parts.append(f"<h2>{html.escape(title)}</h2>")
        if figure is not None and name in plots:
            parts.append(_figure_tag(figure, name, plots[name]))
        parts.append(table)
    if figure is not None:
        parts.append("<h2>Box centres per class</h2>")
        parts.append('<p class="note">normalized image coordinates, 32x32 cells</p>')
        for k, summary in enumerate(summaries):
            if summary["heatmaps"]["per_class"]:
                draw = functools.partial(_heat, summary=summary, name=names[k])
                parts.append(_figure_tag(figure, f"heatmaps_{k}", draw))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def plot_names(summaries: Sequence[Summary]) -> list[str]:
    """The plots a page holds when matplotlib is present (one <img> each), in page order."""
    names = [_label(s, k) for k, s in enumerate(summaries)]
    plots = _plots(summaries, names)
    out = [name for _, name, _ in _sections(summaries, names) if name in plots]
    out += [f"heatmaps_{k}" for k, s in enumerate(summaries) if s["heatmaps"]["per_class"]]
    return ["classes", *out]


def write_report(
    dataset: Path,
    out: Path,
    *,
    fmt: str | None = None,
    compare: Path | None = None,
    compare_fmt: str | None = None,
    json_path: Path | None = None,
) -> tuple[dict[str, Any], Path]:
    """Computes the statistics of ``dataset`` (and ``compare``), writes the HTML page to
    ``out`` and the JSON beside it (``report.json``) or to ``json_path``; returns the JSON
    data and its path.

    >>> data, path = write_report(Path("out/quickstart"), Path("report.html"))  # doctest: +SKIP
    """
    summaries = [dataset_stats(dataset, fmt)]
    data: dict[str, Any] = {"dataset": summaries[0]}
    differences = None
    if compare is not None:
        summaries.append(dataset_stats(compare, compare_fmt))
        differences = compare_stats(summaries[0], summaries[1])
        data.update(compare=summaries[1], differences=differences)
    data["plots"] = plot_names(summaries) if load_matplotlib() is not None else []
    json_path = json_path or out.with_suffix(".json")
    write_json(data, json_path)
    page = render_html(summaries, differences)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return data, json_path


# ---------------------------------------------------------------- tables


def _overview(summaries: Sequence[Summary], names: list[str]) -> str:
    rows = [
        ("format", [s["source"]["format"] for s in summaries]),
        ("annotations", [s["source"]["location"] for s in summaries]),
        ("images", [s["images"] for s in summaries]),
        ("instances", [s["instances"] for s in summaries]),
        ("classes", [len(s["classes"]) for s in summaries]),
        ("crowd annotations", [s["crowd"] for s in summaries]),
        ("instances per image (mean)", [s["instances_per_image"]["mean"] for s in summaries]),
        ("images without instances", [s["instances_per_image"]["empty_images"] for s in summaries]),
    ]
    return _table(["", *names], [[k, *v] for k, v in rows])


def _class_table(
    summaries: Sequence[Summary], names: list[str], differences: Summary | None
) -> str:
    head = ["class"]
    for name in names:
        head += [f"{name}: instances", f"{name}: images", f"{name}: share"]
        head += [f"{name}: boxes S/M/L", f"{name}: mean visibility"]
    if differences is not None:
        head.append("share difference")
    rows = []
    for cls in class_names(summaries):
        row: list[Any] = [cls]
        for summary in summaries:
            entry = summary["classes"].get(cls, {})
            row += [entry.get("instances", 0), entry.get("images", 0), _pct(entry.get("share", 0))]
            boxes = entry.get("boxes", {})
            row.append("/".join(str(boxes.get(b, 0)) for b in ("small", "medium", "large")))
            row.append(entry.get("mean_visibility", "-"))
        if differences is not None:
            row.append(f"{differences['classes'][cls]['share_diff'] * 100:+.2f} pp")
        rows.append(row)
    return _table(head, rows)


def _sections(summaries: Sequence[Summary], names: list[str]) -> list[tuple[str, str, str]]:
    """(title, plot name or "", table) for each section after the class table."""
    out: list[tuple[str, str, str]] = []
    counts = sorted({int(k) for s in summaries for k in s["instances_per_image"]["histogram"]})
    out.append(
        (
            "Instances per image",
            "instances_per_image",
            _table(
                ["instances", *names],
                [
                    [c, *(s["instances_per_image"]["histogram"].get(str(c), 0) for s in summaries)]
                    for c in counts
                ],
            ),
        )
    )
    buckets = ("small", "medium", "large")
    rows = []
    for s, n in zip(summaries, names, strict=True):
        rows.append(
            [f"{n}: {s['sizes']['area_from']} area", *(s["sizes"]["buckets"][b] for b in buckets)]
        )
        rows.append([f"{n}: box area", *(s["boxes"]["buckets"][b] for b in buckets)])
    size_note = (
        '<p class="note">small: area &lt; 32², medium: &lt; 96², large: the rest '
        "(COCO's thresholds)</p>"
    )
    out.append(("Box sizes", "box_sizes", size_note + _table(["", *buckets], rows)))
    out.append(("Aspect ratios (log2 width/height)", "aspect", ""))
    for key in ("visibility", "truncation"):
        if any(key in s for s in summaries):
            rows = [
                [n, s[key]["instances"], s[key]["mean"]] if key in s else [n, 0, "-"]
                for s, n in zip(summaries, names, strict=True)
            ]
            out.append((key.capitalize(), key, _table(["", "instances", "mean"], rows)))
    attrs = _attribute_table(summaries, names)
    if attrs:
        out.append(("Attributes", "", attrs))
    conds = _condition_table(summaries, names)
    if conds:
        out.append(("Conditions (augment ops per image)", "", conds))
    for s, n in zip(summaries, names, strict=True):
        if "quota" in s:
            out.append(
                (
                    f"Quota of {n} ({s['quota']['unit']}, {s['quota']['status']})",
                    "",
                    _quota_table(s["quota"]),
                )
            )
    return out


def _quota_table(quota: Summary) -> str:
    by = quota["by"]
    rows = [
        [*(row[k] for k in by), row["target"], row["achieved"], "yes" if row["filled"] else "NO"]
        for row in quota["table"]
    ]
    return _table([*by, "target", "achieved", "filled"], rows)


def _attribute_table(summaries: Sequence[Summary], names: list[str]) -> str:
    keys = sorted({k for s in summaries for k in s.get("attributes", {})})
    rows = []
    for key in keys:
        values = sorted(
            {v for s in summaries for v in s.get("attributes", {}).get(key, {}).get("values", {})}
        )
        for value in values:
            rows.append(
                [
                    key,
                    value,
                    *(
                        s.get("attributes", {}).get(key, {}).get("values", {}).get(value, 0)
                        for s in summaries
                    ),
                ]
            )
    return _table(["attribute", "value", *names], rows) if rows else ""


def _condition_table(summaries: Sequence[Summary], names: list[str]) -> str:
    if not any("conditions" in s for s in summaries):
        return ""
    ops = sorted({o for s in summaries for o in s.get("conditions", {}).get("ops", {})})
    rows = [
        [op, *(s.get("conditions", {}).get("ops", {}).get(op, 0) for s in summaries)] for op in ops
    ]
    rows.append(["(no op)", *(s.get("conditions", {}).get("no_op", "-") for s in summaries)])
    return _table(["op", *names], rows)


def _table(head: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{cells}</tr>{body}</table>"


# ---------------------------------------------------------------- plots


def _plots(summaries: Sequence[Summary], names: list[str]) -> dict[str, Callable[[Any], None]]:
    compare = len(summaries) > 1
    plots: dict[str, Callable[[Any], None]] = {
        "classes": lambda fig: _classes(fig, summaries, names),
        "instances_per_image": lambda fig: _bars(
            fig,
            summaries,
            names,
            lambda s: s["instances_per_image"]["histogram"],
            "instances in the image",
            "share of images" if compare else "images",
        ),
        "box_sizes": lambda fig: _edges_hist(
            fig,
            summaries,
            names,
            "side_edges",
            "side_histogram",
            "sqrt(box area), px",
            marks=(32, 96),
        ),
        "aspect": lambda fig: _edges_hist(
            fig, summaries, names, "aspect_log2_edges", "aspect_histogram", "log2(width / height)"
        ),
    }
    for key in ("visibility", "truncation"):
        if any(key in s for s in summaries):
            plots[key] = functools.partial(_fraction, summaries=summaries, names=names, key=key)
    return plots


def _figure_tag(figure: Any, name: str, draw: Callable[[Any], None]) -> str:
    fig = figure(figsize=(8, 3.6), layout="constrained")
    draw(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    tag = html.escape(name)
    return f'<img data-plot="{tag}" alt="{tag}" src="data:image/png;base64,{data}">'


def _normalize(values: Sequence[float], compare: bool) -> list[float]:
    total = sum(values)
    return [v / total if compare and total else v for v in values]


def _classes(fig: Any, summaries: Sequence[Summary], names: list[str]) -> None:
    classes = class_names(summaries)
    ax = fig.add_subplot()
    width = 0.8 / len(summaries)
    for k, s in enumerate(summaries):
        values = [s["classes"].get(c, {}).get("instances", 0) for c in classes]
        ax.bar(
            [i + k * width for i in range(len(classes))],
            _normalize(values, len(summaries) > 1),
            width,
            label=names[k],
            color=COLOURS[k],
        )
    ax.set_xticks([i + width * (len(summaries) - 1) / 2 for i in range(len(classes))])
    ax.set_xticklabels(classes, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("share of instances" if len(summaries) > 1 else "instances")
    ax.legend()


def _bars(
    fig: Any,
    summaries: Sequence[Summary],
    names: list[str],
    get: Callable[[Summary], Mapping[str, int]],
    xlabel: str,
    ylabel: str,
) -> None:
    keys = sorted({int(k) for s in summaries for k in get(s)})
    ax = fig.add_subplot()
    width = 0.8 / len(summaries)
    for k, s in enumerate(summaries):
        values = [get(s).get(str(c), 0) for c in keys]
        ax.bar(
            [c + (k - (len(summaries) - 1) / 2) * width for c in keys],
            _normalize(values, len(summaries) > 1),
            width,
            label=names[k],
            color=COLOURS[k],
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()


def _edges_hist(
    fig: Any,
    summaries: Sequence[Summary],
    names: list[str],
    edges_key: str,
    hist_key: str,
    xlabel: str,
    marks: Sequence[float] = (),
) -> None:
    ax = fig.add_subplot()
    edges = summaries[0]["boxes"][edges_key]
    labels = [f"{edges[i]:g}" for i in range(len(edges) - 1)]
    if len(summaries[0]["boxes"][hist_key]) == len(edges):
        labels.append(f"≥{edges[-1]:g}")
    width = 0.8 / len(summaries)
    for k, s in enumerate(summaries):
        values = s["boxes"][hist_key]
        ax.bar(
            [i + k * width for i in range(len(values))],
            _normalize(values, len(summaries) > 1),
            width,
            label=names[k],
            color=COLOURS[k],
            align="edge",
        )
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=45, fontsize=7)
    for mark in marks:
        if mark in edges:
            ax.axvline(edges.index(mark), color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel(f"{xlabel} (bin lower edge)")
    ax.set_ylabel("share of instances" if len(summaries) > 1 else "instances")
    ax.legend()


def _fraction(fig: Any, summaries: Sequence[Summary], names: list[str], key: str) -> None:
    ax = fig.add_subplot()
    width = 0.8 / len(summaries)
    for k, s in enumerate(summaries):
        if key not in s:
            continue
        values = s[key]["histogram"]
        ax.bar(
            [i / len(values) + k * width / len(values) for i in range(len(values))],
            _normalize(values, len(summaries) > 1),
            width / len(values),
            label=names[k],
            color=COLOURS[k],
            align="edge",
        )
    ax.set_xlabel(key)
    ax.set_ylabel("share of instances" if len(summaries) > 1 else "instances")
    ax.legend()


def _heat(fig: Any, summary: Summary, name: str) -> None:
    grids = summary["heatmaps"]["per_class"]
    cols = min(len(grids), 6)
    rows = -(-len(grids) // cols)
    fig.set_size_inches(1.6 * cols + 0.4, 1.8 * rows + 0.4)
    for k, (cls, grid) in enumerate(grids.items()):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.imshow(grid, cmap="magma", extent=(0, 1, 1, 0), interpolation="nearest")
        ax.set_title(f"{cls} ({sum(map(sum, grid))})", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(name, fontsize=9)


def _label(summary: Summary, k: int) -> str:
    return str(summary["source"]["path"]) or f"dataset {k + 1}"


def _pct(share: float) -> str:
    return f"{share * 100:.2f}%"


_HEAD = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>synthgen stats: {title}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 1100px; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
.note {{ color: #555; }}
img {{ display: block; max-width: 100%; }}
</style></head><body>"""
