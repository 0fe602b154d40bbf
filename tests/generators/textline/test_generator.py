"""Text lines end to end: character boxes from each character's own ink, the string as
drawn, grapheme clusters, skew and curve, degradations, determinism, and clear errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import regex
from PIL import Image, ImageDraw

from synthgen.config import RecipeError
from synthgen.document_labels import derive_document_labels
from synthgen.errors import AssetError
from synthgen.generators.document import fonts
from synthgen.generators.document.degrade import apply_degradations
from synthgen.generators.textline import shape
from synthgen.inspect.validate import validate_dataset
from synthgen.labels import derive_labels
from synthgen.recipe import build_recipe, load_recipe
from synthgen.run import generate_dataset
from synthgen.run.executor import SampleTask
from tests.helpers import tree_bytes

WHITE, BLACK = [255, 255, 255], [0, 0, 0]


def line_recipe(**generator: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "text_lines",
        "locales": {"en_US": 1, "de_DE": 1},
        "texts": [{"faker": "name"}, {"faker": "street_address"}, {"money": [1, 99999]}],
        "fonts": ["DejaVuSans", "DejaVuSerif-Italic", "DejaVuSansMono"],
        "size_px": [16, 36],
        "ink": [BLACK],
        "background": {"colours": [WHITE], "grain": [0, 0]},
    }
    return {"seed": 3, "num": 8, "generator": {**base, **generator}}


def _line(data: dict[str, Any], base: Path, index: int = 0):
    recipe = build_recipe(data, base_dir=base)
    gen = recipe.generator()
    gen.check()
    plan = gen.plan(np.random.default_rng([recipe.seed, index]))
    sample = gen.render(plan)
    _, doc = derive_document_labels(sample, derive_labels(sample))
    return plan, sample, doc


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _owners(plan: dict[str, Any], size: tuple[int, int]) -> np.ndarray:
    """Each character drawn alone by Pillow's ImageDraw at its pen position; a pixel
    belongs to the character with the most coverage there (the first on ties)."""
    font = fonts.sized(Path(plan["font"]), plan["size"])
    placed = shape.layout(plan["text"], Path(plan["font"]), plan["size"], plan["tracking"])
    best = np.zeros(size, np.uint8)
    owner = np.zeros(size, np.int32)
    for k, (cluster, _, _, pen) in enumerate(placed, start=1):
        canvas = Image.new("L", (size[1], size[0]), 0)
        x = 200 + np.floor(pen + 0.5)
        ImageDraw.Draw(canvas).text(
            (x, 100), cluster, 255, font, anchor="ls", features=shape._FEATURES
        )
        alpha = np.asarray(canvas)
        owner[alpha > best] = k
        best = np.maximum(best, alpha)
    return owner


@pytest.mark.parametrize("index", range(4))
def test_char_boxes_are_the_ink_each_character_owns_when_drawn_alone(tmp_path, index):
    plan, _, doc = _line(line_recipe(), tmp_path, index)
    owner = _owners(plan, (300, 2000))
    ref = [_box(owner == k) for k in range(1, len(doc.glyphs) + 1)]
    # The reference canvas has another origin: compare boxes relative to the first char's.
    got = [g.bbox for g in doc.glyphs]
    shift = np.subtract(got[0], ref[0])
    assert [tuple(np.subtract(b, shift)) for b in got] == ref, plan["text"]


@pytest.mark.parametrize("index", range(6))
def test_characters_are_the_texts_grapheme_clusters(tmp_path, index):
    plan, _, doc = _line(line_recipe(), tmp_path, index)
    text = plan["text"]
    assert doc.text == text == " ".join(w.text for w in doc.words)
    graphemes = [(m.start(), m.group()) for m in regex.finditer(r"\X", text)]
    assert [(g.start, g.text) for g in doc.glyphs] == [g for g in graphemes if g[1] != " "]
    for g in doc.glyphs:
        assert text[g.start : g.start + len(g.text)] == g.text
        wx0, wy0, wx1, wy1 = doc.words[g.word].bbox
        x0, y0, x1, y1 = g.bbox
        assert wx0 <= x0 < x1 <= wx1 and wy0 <= y0 < y1 <= wy1


def test_a_combining_mark_stays_with_its_letter(tmp_path):
    word = "g\u0303o ña"  # g + combining tilde has no precomposed form: one grapheme
    _, _, doc = _line(line_recipe(texts=[{"choices": [word]}]), tmp_path)
    assert [g.text for g in doc.glyphs] == ["g\u0303", "o", "ñ", "a"]
    assert [g.start for g in doc.glyphs] == [0, 2, 4, 5]
    tilde_top = doc.glyphs[0].bbox[1]
    assert tilde_top < doc.glyphs[1].bbox[1]  # the tilde's ink is in g's box


@pytest.mark.parametrize(
    "geometry",
    [{}, {"skew_degrees": [-8, 8]}, {"curve": [-1, 1]}, {"skew_degrees": [5, 5], "curve": [1, 1]}],
)
def test_every_ink_pixel_belongs_to_a_character_and_no_other_pixel_does(tmp_path, geometry):
    for index in range(3):
        _, sample, doc = _line(line_recipe(**geometry), tmp_path, index)
        ink = (sample.image != 255).any(axis=2)
        assert np.array_equal(ink, sample.instance_map > 0)
        assert len(doc.glyphs) == len(np.unique(sample.instance_map)) - 1


@pytest.mark.parametrize("index", range(4))
def test_a_straight_line_is_pillows_drawing_of_the_whole_line(tmp_path, index):
    data = line_recipe(fonts=["DejaVuSans", "DejaVuSansMono"], tracking=[0, 0])
    plan, sample, _ = _line(data, tmp_path, index)
    font = fonts.sized(Path(plan["font"]), plan["size"])
    canvas = Image.new("L", (sample.width + 200, sample.height + 200), 0)
    draw = ImageDraw.Draw(canvas)
    draw.text((100, 150), plan["text"], 255, font, anchor="ls", features=shape._FEATURES)
    whole = np.asarray(canvas)
    (x0, y0, x1, y1), (wx0, wy0, _, _) = _box(sample.instance_map > 0), _box(whole > 0)
    ours = 255 - sample.image[y0:y1, x0:x1, 0]
    assert np.array_equal(whole[wy0 : wy0 + y1 - y0, wx0 : wx0 + x1 - x0], ours)


def test_pen_positions_keep_the_fonts_kerning(tmp_path):
    path = fonts.resolve_font("DejaVuSerif", tmp_path)
    font = fonts.sized(path, 32)
    text = "AVATAR WAVE"
    for cluster, start, _, pen in shape.layout(text, path, 32, 0.0):
        end = start + len(cluster)
        whole = font.getlength(text[:end], features=shape._FEATURES)
        assert pen == pytest.approx(whole - font.getlength(cluster), abs=0.05)


def test_skewed_words_get_quadrilaterals_at_the_skew_angle(tmp_path):
    _, _, doc = _line(line_recipe(skew_degrees=[6, 6]), tmp_path)
    for word in doc.words:
        (x0, y0), (x1, y1) = word.quad[0], word.quad[1]
        angle = np.degrees(np.arctan2(-(y1 - y0), x1 - x0))
        assert angle == pytest.approx(6, abs=0.01)


def test_char_boxes_follow_a_perspective_warp(tmp_path):
    steps = [{"op": "perspective", "strength": [0.05, 0.05]}, {"op": "blur"}]
    plan, sample, doc = _line(line_recipe(degrade=steps), tmp_path)
    clean = _line(line_recipe(), tmp_path)[1]
    _, ids, _ = apply_degradations(clean.image, clean.instance_map, plan["degrade"])
    assert np.array_equal(ids, sample.instance_map)
    for g in doc.glyphs:
        assert g.bbox == _box(ids == g.id)


def test_same_bytes_with_one_or_two_workers(tmp_path):
    data = line_recipe(skew_degrees=[-3, 3], degrade=[{"op": "noise"}, {"op": "jpeg"}])
    data["num"] = 12
    data["output"] = {"formats": ["ocr", "hocr"], "image": {"format": "png"}}
    outs = []
    for workers in (1, 2):
        recipe = build_recipe(data, base_dir=tmp_path)
        generate_dataset(recipe, tmp_path / f"w{workers}", workers=workers, progress=False)
        outs.append(tree_bytes(tmp_path / f"w{workers}"))
    assert outs[0] == outs[1]


def test_corpus_lines_and_word_runs(tmp_path):
    (tmp_path / "corpus.txt").write_text("alpha beta gamma delta\n\n  epsilon   zeta \n", "utf-8")
    data = line_recipe(texts=[{"corpus": "corpus.txt", "words": [1, 2]}])
    words = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}
    for index in range(6):
        plan, _, _ = _line(data, tmp_path, index)
        assert 1 <= len(plan["text"].split(" ")) <= 2
        assert set(plan["text"].split(" ")) <= words
        assert plan["source"] == "corpus"


def test_long_texts_are_cut_at_a_space():
    assert shape.clean_text("a\u00adb\u200b  c\n d") == "ab c d"
    from synthgen.generators.textline.generator import _shorten

    assert _shorten("one two three", 9) == "one two"
    assert _shorten("abcdefghij", 4) == "abcd"


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ([{"choices": ["مرحبا"]}], "right-to-left"),
        ([{"choices": ["नमस्ते"]}], "drawn in context"),
        ([{"choices": ["東京"]}], "no font in fonts can draw"),
    ],
)
def test_texts_no_font_can_draw_are_refused_before_any_line(tmp_path, texts, message):
    recipe = build_recipe(line_recipe(texts=texts), base_dir=tmp_path)
    with pytest.raises(AssetError, match=message) as err:
        recipe.generator().check()
    assert "texts[0]" in str(err.value)


def test_empty_or_binary_corpus_is_refused(tmp_path):
    (tmp_path / "empty.txt").write_text("\n  \n", "utf-8")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00abc")
    for name, message in (("empty.txt", "has no text"), ("bin.txt", "not UTF-8")):
        recipe = build_recipe(line_recipe(texts=[{"corpus": name}]), base_dir=tmp_path)
        with pytest.raises(AssetError, match=message):
            recipe.generator().check()


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ([{"corpus": "missing.txt"}], "file not found"),
        ([{"derive": "a + b"}], "derive is for document fields"),
        ([{"faker": "name", "words": [1, 2]}], "words applies to a corpus"),
        ([{"faker": "name", "choices": ["a"]}], "exactly one of"),
        ([{"faker": "name", "weight": 0}], "at least one source"),
    ],
)
def test_bad_text_sources_name_their_key(tmp_path, texts, message):
    with pytest.raises(RecipeError, match=message) as err:
        build_recipe(line_recipe(texts=texts), base_dir=tmp_path)
    assert "texts" in str(err.value)


def test_the_shipped_template_makes_lines_that_validate(tmp_path):
    template = Path(__file__).parents[3] / "templates" / "text_lines.yaml"
    recipe = load_recipe(template, num=40, formats=["ocr", "hocr"])
    generate_dataset(recipe, tmp_path / "out", workers=1, progress=False)
    report = validate_dataset(tmp_path / "out")
    assert report.ok, report.format()
    texts = (tmp_path / "out" / "ocr" / "gt.txt").read_text("utf-8")
    assert any(ord(ch) > 127 for ch in texts)


def test_background_images_are_cropped_behind_the_text(tmp_path):
    folder = tmp_path / "bg"
    folder.mkdir()
    noise = np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    cv2.imwrite(str(folder / "paper.png"), noise)
    data = line_recipe(background={"images": "bg", "image_p": 1, "grain": [0, 0]})
    plan, sample, doc = _line(data, tmp_path)
    assert plan["background"]["image"] == "paper.png"
    assert sample.image[sample.instance_map == 0].std() > 20  # the picture, not a colour
    assert len(doc.glyphs) > 0
    (folder / "paper.png").unlink()
    (folder / "notes.txt").write_text("not an image")
    with pytest.raises(AssetError, match="no background images"):
        build_recipe(data, base_dir=tmp_path).generator()


@pytest.mark.parametrize("weights", [[2, 1, 1, 1, 1], [0, 1, 0, 3], [0.1, 0.2, 0.7], [1]])
def test_weighted_choice_draws_what_rng_choice_draws(weights):
    # Plans (locale, text source) must not change with the faster draw: same index, same
    # rng state after.
    from synthgen.generators.textline.generator import _cdf, _choice

    w = np.array(weights, float)
    cdf = _cdf(weights)
    for seed in range(2000):
        ours, numpy_s = np.random.default_rng([7, seed]), np.random.default_rng([7, seed])
        assert _choice(ours, cdf) == numpy_s.choice(len(w), p=w / w.sum())
        assert ours.random() == numpy_s.random()


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")
def test_workers_are_forked_and_a_resumed_run_is_the_same(tmp_path):
    # Forked workers skip ~0.8 s of imports each; the bytes must not depend on what the
    # parent loaded before the fork, nor on a kill and a resume.
    template = Path(__file__).parents[3] / "templates" / "text_lines.yaml"
    recipe = load_recipe(template, num=40)
    assert SampleTask(recipe, tmp_path).start_method == "fork"
    generate_dataset(recipe, tmp_path / "whole", workers=2, progress=False)
    first = load_recipe(template, num=15)
    generate_dataset(first, tmp_path / "resumed", workers=2, progress=False)
    generate_dataset(recipe, tmp_path / "resumed", workers=2, resume=True, progress=False)
    assert tree_bytes(tmp_path / "whole") == tree_bytes(tmp_path / "resumed")
