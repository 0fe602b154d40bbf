"""The ``synthgen`` command: generate, validate, preview, convert, augment, stats, list.

User errors (bad recipe, bad assets, unusable output folder) print one clear message and
exit with status 2; a failed validation exits with 1.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import click

from synthgen import __version__
from synthgen.errors import AssetWarning, SynthgenError
from synthgen.files import quiet_opencv

if TYPE_CHECKING:
    from synthgen.overrides import Balance
    from synthgen.recipe import Recipe

EXIT_USER_ERROR = 2
_python_format_warning = warnings.formatwarning


class _Group(click.Group):
    """Turns synthgen's own errors into a message and exit status 2, without a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SynthgenError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_USER_ERROR)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="synthgen")
def main() -> None:
    """Synthetic labeled data with exact labels."""
    quiet_opencv()
    warnings.formatwarning = _format_warning


def _format_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    line: str | None = None,
) -> str:
    """synthgen's own warnings read like its errors: one line, no source excerpt."""
    if issubclass(category, AssetWarning):
        return f"warning: {message}\n"
    return _python_format_warning(message, category, filename, lineno, line)


def _parse_weights(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> dict[str, float] | None:
    from synthgen.overrides import parse_weights

    if value is None:
        return None
    try:
        return parse_weights(value)
    except ValueError as err:
        raise click.BadParameter(str(err), ctx, param) from None


def _location(
    ctx: click.Context, param: click.Parameter, value: str | tuple[str, ...]
) -> Path | str | tuple[Path | str, ...]:
    """A local folder as a Path; an fsspec URL (``s3://bucket/run``) kept as given."""
    if isinstance(value, tuple):
        return tuple(v if "://" in v else Path(v) for v in value)
    return value if "://" in value else Path(value)


def _parse_balance(ctx: click.Context, param: click.Parameter, value: str | None) -> Balance | None:
    if value is not None and value.strip() == "uniform":
        return "uniform"
    return _parse_weights(ctx, param, value)


@main.command()
@click.argument("recipe", type=click.Path(path_type=Path))
@click.option(
    "--out", "-o", callback=_location, required=True, help="output folder or fsspec URL (s3://...)"
)
@click.option(
    "--num", "-n", type=click.IntRange(min=1), help="number of samples (overrides the recipe)"
)
@click.option("--seed", type=click.IntRange(min=0), help="seed (overrides the recipe)")
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    help="processes (default: all cores; with --executor ray, all CPUs of the cluster)",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help='where the workers run: processes here, or Ray actors (pip install "synthgen[ray]")',
)
@click.option(
    "--address",
    help="with --executor ray: the cluster, e.g. auto or ray://head:10001 (default: a local Ray)",
)
@click.option("--format", "formats", help="writers, comma-separated, e.g. coco,yolo,voc")
@click.option(
    "--locale",
    "locales",
    callback=_parse_weights,
    help="locales to draw (text, document), e.g. de_DE,fr_FR or de_DE=2,fr_FR=1",
)
@click.option(
    "--balance",
    callback=_parse_balance,
    help="class balance: uniform, or weights such as a=1,b=3 (text, composite, scene3d)",
)
@click.option(
    "--shard-size",
    type=click.IntRange(min=1),
    help="write every S samples as a complete dataset of its own, --out/shard-00000/, ...",
)
@click.option(
    "--quota",
    type=click.Path(path_type=Path, dir_okay=False),
    help="class x attribute quota file (YAML): sample until each cell is filled",
)
@click.option("--resume", is_flag=True, help="continue an interrupted run in --out")
@click.option("--overwrite", is_flag=True, help="replace an earlier run in --out")
@click.option("--quiet", "-q", is_flag=True, help="no progress bar")
def generate(
    recipe: Path,
    out: Path | str,
    num: int | None,
    seed: int | None,
    workers: int | None,
    executor: str,
    address: str | None,
    formats: str | None,
    locales: dict[str, float] | None,
    balance: Balance | None,
    shard_size: int | None,
    quota: Path | None,
    resume: bool,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Make a dataset from a RECIPE (YAML) into --out.

    --num, --seed, --format, --locale and --balance replace the recipe's values; the
    recipe.yaml written into --out holds the result. --executor and --workers change only
    where the samples are made, never their bytes: a run can be resumed with either.

    --quota (or the recipe's quota: key) keeps drawing samples until every cell of the
    quota is filled; the number of samples follows from it (so --num is refused), and
    quota.json holds the achieved table. Unmet cells: exit status 2, naming them.
    """
    from synthgen.recipe import load_recipe
    from synthgen.run import generate_dataset

    if resume and overwrite:
        raise click.UsageError("--resume and --overwrite exclude each other")
    if address is not None and executor != "ray":
        raise click.UsageError("--address is a Ray cluster's address: add --executor ray")
    if executor == "ray":
        from synthgen.run.ray_executor import import_ray

        import_ray()  # before the output folder is touched
    names = [f.strip() for f in formats.split(",") if f.strip()] if formats else None
    loaded = load_recipe(
        recipe, num=num, seed=seed, formats=names, locales=locales, balance=balance, quota=quota
    )
    if num is not None and loaded.quota is not None:
        raise click.UsageError(
            "--num and a quota exclude each other: the quota decides the number of samples "
            "(lower its counts or max_candidates for a smaller run)"
        )
    try:
        summary = generate_dataset(
            loaded,
            out,
            workers=workers,
            resume=resume,
            overwrite=overwrite,
            progress=not quiet,
            shard_size=shard_size,
            executor_kind=executor,
            address=address,
        )
    except KeyboardInterrupt:
        again = f" --shard-size {shard_size}" if shard_size else ""
        click.echo(
            f"\ninterrupted; continue with: synthgen generate {recipe} --out {out}{again} --resume",
            err=True,
        )
        sys.exit(130)
    click.echo(str(summary))
    _echo_quota(loaded, out)


def _echo_quota(recipe: Recipe, out: Path | str) -> None:
    if recipe.quota is not None:  # a quota run is local (the engine refuses a URL)
        from synthgen.quota.run import format_quota

        click.echo(format_quota(Path(out)))


@main.command()
@click.argument("shards", nargs=-1, required=True, callback=_location)
@click.option(
    "--out", "-o", callback=_location, required=True, help="output folder or fsspec URL (s3://...)"
)
def merge(shards: tuple[Path | str, ...], out: Path | str) -> None:
    """Merge the SHARDS of a run made with --shard-size (shard-* folders, in any order, or
    the run's folder) into one dataset in --out, the same bytes as an unsharded run."""
    from synthgen.run.merge import merge_shards

    summary = merge_shards(list(shards), out)
    click.echo(f"{out}: {summary.ok} samples ({summary.skipped} skipped) merged")


@main.command()
@click.argument("dataset", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--max-errors", default=20, show_default=True, help="defects to print")
def validate(dataset: Path, max_errors: int) -> None:
    """Read a dataset back with each format's reader and check every label."""
    from synthgen.inspect.validate import validate_dataset

    report = validate_dataset(dataset)
    click.echo(report.format(max_errors))
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("dataset", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="file to write (default: DATASET/preview.png; preview.html for text)",
)
@click.option(
    "--n", "count", default=16, show_default=True, type=click.IntRange(min=1), help="images"
)
@click.option("--columns", default=4, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--width", default=480, show_default=True, type=click.IntRange(min=64), help="tile width"
)
def preview(dataset: Path, out: Path | None, count: int, columns: int, width: int) -> None:
    """Draw boxes, masks, class names and keypoints of the first images on a contact sheet
    (for text: highlight the entities of the first samples on an HTML page)."""
    from synthgen.inspect.preview import write_preview
    from synthgen.inspect.preview_text import is_text_dataset, write_text_preview

    if is_text_dataset(dataset):
        target = out or dataset / "preview.html"
        write_text_preview(dataset, target, count=count)
    else:
        target = out or dataset / "preview.png"
        write_preview(dataset, target, count=count, columns=columns, tile_width=width)
    click.echo(f"wrote {target}")


@main.command(name="render-cutouts")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True, help="output folder")
@click.option(
    "--views", type=click.IntRange(min=1), help="viewpoints per model (overrides the file)"
)
@click.option("--overwrite", is_flag=True, help="replace cutouts made earlier in --out")
@click.option("--quiet", "-q", is_flag=True, help="no progress bar")
def render_cutouts(
    config: Path, out: Path, views: int | None, overwrite: bool, quiet: bool
) -> None:
    """Render 3D models from many views into RGBA cutouts for the compositor."""
    from synthgen.generators.scene3d.cutouts import load_cutouts_config, render_cutouts

    loaded = load_cutouts_config(config)
    if views is not None:
        loaded = loaded.model_copy(update={"views": views})
    count = render_cutouts(
        loaded, config.parent.resolve(), out, overwrite=overwrite, progress=not quiet
    )
    click.echo(
        f"wrote {count} cutouts to {out}; use them with a composite recipe: "
        f"objects: {{source: {{dir: {out}}}}} (classes and keypoints: {out}/cutouts.json)"
    )


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True, help="output folder")
@click.option(
    "--format", "formats", required=True, help="writers, comma-separated, e.g. yolo or coco,voc"
)
@click.option("--from", "source_format", help="source format: coco, yolo or voc (default: found)")
@click.option("--images", type=click.Path(path_type=Path), help="COCO: folder of file_name")
@click.option("--split", help="YOLO/VOC: the split to read (default: all)")
@click.option("--classes", help="VOC: class order, comma-separated (default: labels.txt)")
@click.option("--clip-boxes", is_flag=True, help="clip boxes that leave the image")
@click.option("--quiet", "-q", is_flag=True, help="no progress bar")
def convert(
    source: Path,
    out: Path,
    formats: str,
    source_format: str | None,
    images: Path | None,
    split: str | None,
    classes: str | None,
    clip_boxes: bool,
    quiet: bool,
) -> None:
    """Convert a COCO, YOLO or VOC dataset at SOURCE into --out in other formats.

    SOURCE is a COCO JSON (or a folder with annotations/instances.json), a YOLO data.yaml
    (or its folder) or a VOC root. Untouched labels are kept as the source has them.
    """
    from synthgen.readers import open_dataset
    from synthgen.readers.convert import convert_dataset

    reader = open_dataset(
        source,
        source_format,
        images=images,
        split=split,
        classes=[c.strip() for c in classes.split(",") if c.strip()] if classes else None,
        clip_boxes=clip_boxes or None,
    )
    names = [f.strip() for f in formats.split(",") if f.strip()]
    click.echo(str(convert_dataset(reader, out, names, progress=not quiet)))


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True, help="output folder")
@click.option(
    "--profile",
    "profiles",
    help="profiles applied to every copy, in order, e.g. night,fog,motion_blur",
)
@click.option(
    "--copy-paste",
    "copy_paste",
    help="paste instances of these classes (or 'rare') from the dataset into its images",
)
@click.option(
    "--target-balance",
    default="uniform",
    show_default=True,
    help="copy-paste: class balance to reach, 'uniform' or weights, e.g. car=1,person=2",
)
@click.option(
    "--paste-param",
    "paste_params",
    multiple=True,
    help="copy-paste option, e.g. --paste-param ground=true or scale=0.5,1 (repeatable)",
)
@click.option(
    "--boxes-only",
    type=click.Choice(["skip"]),
    default="skip",
    show_default=True,
    help="copy-paste: box-only instances are not donors (grabcut is not implemented)",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    help="a profile's parameter, e.g. --param fog.density=0.3,0.6 (repeatable)",
)
@click.option(
    "--label-noise",
    "label_noise",
    help="noisy labels, clean ones in clean/: e.g. flip=0.05,jitter=0.03,miss=0.02,extra=0.01",
)
@click.option(
    "--flip-matrix",
    type=click.Path(path_type=Path, dir_okay=False),
    help="label noise: YAML/JSON {true class: {noisy class: weight}} for flips",
)
@click.option(
    "--per-image", default=1, show_default=True, type=click.IntRange(min=1), help="copies"
)
@click.option(
    "--quota",
    type=click.Path(path_type=Path, dir_okay=False),
    help="class x condition quota file (YAML): copy until each cell is filled",
)
@click.option("--format", "formats", default="coco", show_default=True, help="writers")
@click.option("--from", "source_format", help="source format: coco, yolo or voc (default: found)")
@click.option("--images", type=click.Path(path_type=Path), help="COCO: folder of file_name")
@click.option("--split", help="YOLO/VOC: the split to read (default: all)")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--workers", "-w", type=click.IntRange(min=1), help="processes (default: all cores)")
@click.option(
    "--min-visibility",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="drop objects hidden or cut below this visible fraction",
)
@click.option("--min-area", default=4, show_default=True, type=click.IntRange(min=1), help="pixels")
@click.option(
    "--image-format",
    default="png",
    show_default=True,
    type=click.Choice(["png", "jpg", "webp"]),
    help="encoding of the augmented images",
)
@click.option("--resume", is_flag=True, help="continue an interrupted run in --out")
@click.option("--overwrite", is_flag=True, help="replace an earlier run in --out")
@click.option("--quiet", "-q", is_flag=True, help="no progress bar")
def augment(
    source: Path,
    out: Path,
    profiles: str | None,
    copy_paste: str | None,
    target_balance: str,
    paste_params: tuple[str, ...],
    boxes_only: str,
    params: tuple[str, ...],
    label_noise: str | None,
    flip_matrix: Path | None,
    per_image: int,
    quota: Path | None,
    formats: str,
    source_format: str | None,
    images: Path | None,
    split: str | None,
    seed: int,
    workers: int | None,
    min_visibility: float,
    min_area: int,
    image_format: str,
    resume: bool,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Augmented copies of a COCO, YOLO or VOC dataset at SOURCE, labels re-derived.

    Every image gets --per-image copies, each through the --profile ops in order (see
    synthgen list for their parameters). --out is a normal synthgen output folder: the
    manifest records each copy's source image, ops and parameters, and seed.

    --copy-paste pastes masked instances of the dataset into its other images until the
    class counts reach --target-balance; balance.json reports before/target/after.

    --label-noise writes deliberately noisy labels (class flips, box jitter, missed and
    extra boxes) and the clean ones at clean/annotations/instances.json; label_noise.json
    reports the achieved rates, the manifest every change.

    --quota keeps making copies (going round the dataset again with new copy numbers)
    until every cell is filled, e.g. by: [condition, class]; quota.json has the table.
    """
    from synthgen.augment.command import (
        augment_recipe,
        format_balance,
        parse_copy_paste,
        parse_profiles,
        write_balance_report,
    )
    from synthgen.label_noise import format_noise, noise_spec
    from synthgen.run import generate_dataset

    if resume and overwrite:
        raise click.UsageError("--resume and --overwrite exclude each other")
    if source_format is not None and source_format not in ("coco", "yolo", "voc"):
        raise click.BadParameter(f"{source_format!r}: use coco, yolo or voc", param_hint="--from")
    if profiles is None and copy_paste is None and label_noise is None and quota is None:
        raise click.UsageError("give --profile, --copy-paste, --label-noise, --quota or several")
    pasting = (
        None if copy_paste is None else parse_copy_paste(copy_paste, target_balance, paste_params)
    )
    if flip_matrix is not None and label_noise is None:
        raise click.UsageError("--flip-matrix needs --label-noise flip=RATE")
    noise = None if label_noise is None else noise_spec(label_noise, flip_matrix)
    recipe = augment_recipe(
        source,
        profiles=[] if profiles is None else parse_profiles(profiles, params),
        copy_paste=pasting,
        label_noise=noise,
        formats=[f.strip() for f in formats.split(",") if f.strip()],
        per_image=per_image,
        seed=seed,
        source_format=source_format,
        images=images,
        split=split,
        min_visibility=min_visibility,
        min_area=min_area,
        image_format=image_format,
        quota=quota,
    )
    try:
        summary = generate_dataset(
            recipe, out, workers=workers, resume=resume, overwrite=overwrite, progress=not quiet
        )
    except KeyboardInterrupt:
        click.echo("\ninterrupted; run the same command with --resume to continue", err=True)
        sys.exit(130)
    click.echo(str(summary))
    _echo_quota(recipe, out)
    if pasting is not None:
        click.echo(format_balance(write_balance_report(recipe, out, dict(summary.objects))))
    if summary.noise is not None:
        click.echo(format_noise(summary.noise))


@main.command()
@click.argument("dataset", type=click.Path(path_type=Path, exists=True))
@click.option(
    "--from",
    "source_format",
    type=click.Choice(["coco", "yolo", "voc"]),
    default=None,
    help="format of DATASET (default: found from the files; COCO first in synthgen output)",
)
@click.option(
    "--compare",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="a second dataset to show side by side",
)
@click.option(
    "--compare-from",
    type=click.Choice(["coco", "yolo", "voc"]),
    default=None,
    help="format of the --compare dataset",
)
@click.option(
    "--out", "-o", type=click.Path(path_type=Path), required=True, help="HTML report to write"
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path),
    default=None,
    help="JSON summary to write (default: beside --out, with .json)",
)
def stats(
    dataset: Path,
    source_format: str | None,
    compare: Path | None,
    compare_from: str | None,
    out: Path,
    json_path: Path | None,
) -> None:
    """Class counts, instances per image, box sizes and aspects, visibility, attributes and
    conditions of a COCO, YOLO or VOC dataset (or a synthgen output folder), from the
    labels alone: an HTML page with plots and a JSON summary."""
    from synthgen.inspect.stats_report import INSTALL_HINT, load_matplotlib, write_report

    data, written = write_report(
        dataset,
        out,
        fmt=source_format,
        compare=compare,
        compare_fmt=compare_from,
        json_path=json_path,
    )
    summary = data["dataset"]
    click.echo(
        f"{dataset}: {summary['images']} images, {summary['instances']} instances, "
        f"{len(summary['classes'])} classes ({summary['source']['format']})"
    )
    if compare is not None:
        other = data["compare"]
        click.echo(
            f"{compare}: {other['images']} images, {other['instances']} instances, "
            f"{len(other['classes'])} classes ({other['source']['format']})"
        )
    if load_matplotlib() is None:
        click.echo(f"no plots: matplotlib is not installed ({INSTALL_HINT})")
    click.echo(f"wrote {out} and {written}")


@main.command(name="list")
def list_plugins() -> None:
    """List generators and writers with their options."""
    from synthgen.inspect.plugins import describe_plugins

    click.echo(describe_plugins())


if __name__ == "__main__":
    main()
