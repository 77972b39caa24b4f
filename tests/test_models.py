"""The local engine's models as pure facts: what a name is (languages, family, accuracy), which
model `--local-model auto` chooses from stored measurements, and the store itself (real files in
a temporary directory). No model is loaded here; test_models_hub.py and test_models_bench.py
run the real parts."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from dictation.cli.values import latency_budget
from dictation.transcribe.auto import choose
from dictation.transcribe.engines import BUNDLED_MODEL
from dictation.transcribe.models import FAMILIES, catalogue, english_only, family_of, rank
from dictation.transcribe.speed import Measurement, identity, load, lookup, save, store_path


@pytest.mark.parametrize(("name", "family", "english"), [
    ("tiny.en", "tiny", True), ("tiny", "tiny", False), ("base", "base", False),
    ("small.en", "small", True), ("medium", "medium", False), ("large", "large-v3", False),
    ("large-v2", "large-v2", False), ("turbo", "large-v3-turbo", False),
    ("large-v3-turbo", "large-v3-turbo", False), ("distil-small.en", "distil-small", True),
    # distil-whisper's large models are trained on English only, whatever their vocabulary.
    ("distil-large-v3", "distil-large", True), ("distil-large-v3.5", "distil-large", True),
    ("Systran/faster-whisper-medium.en", "medium", True),
    ("mobiuslabsgmbh/faster-whisper-large-v3-turbo", "large-v3-turbo", False),
    ("someone/whisper-thing", "unknown", False),
])
def test_a_name_says_what_a_model_is(name: str, family: str, english: bool) -> None:
    assert (family_of(name), english_only(name)) == (family, english)


def test_an_unnamed_model_is_judged_by_its_files(tmp_path: Path) -> None:
    # The size of the weights gives the family; the vocabulary's end-of-text token (GPT-2's
    # 50256 in English-only models) the languages.
    assert family_of("model", 145_217_532) == "base"
    assert family_of("model", 3_087_284_237) == "large-v3"
    for eot, english in ((50256, True), (50257, False)):
        (tmp_path / "config.json").write_text(json.dumps({"suppress_ids_begin": [220, eot]}))
        assert english_only("model", tmp_path) is english
    (tmp_path / "config.json").write_text("not json")
    assert english_only("model", tmp_path) is False


def test_the_catalogue_is_faster_whispers_one_entry_per_repository() -> None:
    from faster_whisper.utils import _MODELS

    entries = catalogue()
    assert {m.repo for m in entries} == set(_MODELS.values())
    names = {n for m in entries for n in (m.name, *m.aliases)}
    assert names == set(_MODELS)
    large = next(m for m in entries if m.name == "large-v3")
    assert large.aliases == ("large",) and not large.installed
    assert all(m.size and m.size > 50_000_000 for m in entries)  # a size to say, roughly
    assert all(m.family in FAMILIES for m in entries)


def test_accuracy_order_and_the_english_variant_first_for_english() -> None:
    order = ["tiny", "base", "small", "medium", "distil-large", "large-v3-turbo", "large-v3"]
    ranks = [rank(f, False, True) for f in order]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert rank("small", True, True) > rank("small", False, True)
    assert rank("small", True, False) == rank("small", False, False)  # another language
    assert rank("unknown", False, True) < rank("tiny", False, True)


# --- auto: the choice --------------------------------------------------------------------


def measured(name: str, seconds: float, english: bool | None = None,
             family: str | None = None) -> Measurement:
    return Measurement(name=name, path=f"/models/{name}", identity=f"/models/{name}:1:1",
                       english_only=english_only(name) if english is None else english,
                       family=family or family_of(name), utterance_s=seconds,
                       piece_s=seconds / 3, audio_s=11.66, runs=3, measured="2025-01-01")


def test_nothing_measured_means_the_bundled_model() -> None:
    choice = choose([], None, 0.6)
    assert (choice.name, choice.path) == (BUNDLED_MODEL, None)
    assert "no model measured" in choice.reason and "dictation models bench" in choice.reason


def test_the_most_accurate_model_within_the_budget() -> None:
    models = [measured("tiny.en", 0.3), measured("base", 0.5), measured("small", 0.9),
              measured("medium", 2.5)]
    choice = choose(models, None, 0.6)
    assert (choice.name, choice.path) == ("base", "/models/base")
    assert choice.reason == ("decodes the 11.7 s sample in 0.50 s here, within the 0.6 s "
                             "latency budget; the most accurate of the 2 measured that do")
    assert choose(models, None, 0.4).reason.endswith("the only one of the 4 measured that does")
    assert choose(models[:1], None, 0.4).reason.endswith("the only model measured")
    assert choose(models, None, 1.0).name == "small"
    assert choose(models, None, 60).name == "medium"


def test_english_prefers_the_english_variant_and_other_languages_exclude_it() -> None:
    models = [measured("small.en", 0.55), measured("small", 0.5), measured("base", 0.3)]
    assert choose(models, None, 0.6).name == "small.en"  # unset is English
    assert choose(models, "en", 0.6).name == "small.en"
    assert choose(models, "de", 0.6).name == "small"
    # distil-large is English only: German falls back to the best multilingual one.
    models.append(measured("distil-large-v3", 0.58))
    assert choose(models, None, 0.6).name == "distil-large-v3"
    assert choose(models, "de", 0.6).name == "small"


def test_when_nothing_fits_the_fastest_measured_one() -> None:
    models = [measured("tiny.en", 0.7), measured("base", 1.4)]
    choice = choose(models, None, 0.6)
    assert choice.name == "tiny.en" and "none of the 2 measured" in choice.reason
    assert "0.70 s" in choice.reason


def test_a_language_no_measured_model_speaks_gets_the_bundled_model() -> None:
    choice = choose([measured("tiny.en", 0.2), measured("small.en", 0.5)], "fr", 0.6)
    assert (choice.name, choice.path) == (BUNDLED_MODEL, None)
    assert "'fr'" in choice.reason


def test_the_budget_is_a_checked_number_of_seconds() -> None:
    import argparse

    assert latency_budget("0.6") == 0.6
    for bad in ("0", "nan", "inf", "-1", "61", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            latency_budget(bad)


# --- the store of measurements -----------------------------------------------------------


def model_dir(root: Path, name: str, size: int = 1000) -> Path:
    d = root / name
    d.mkdir()
    (d / "model.bin").write_bytes(b"\0" * size)
    (d / "config.json").write_text("{}")
    return d


def test_measurements_are_kept_per_model_files(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "HOME": str(tmp_path)}
    a, b = model_dir(tmp_path, "a"), model_dir(tmp_path, "b")
    for d, s in ((a, 0.4), (b, 0.9)):
        key = identity(d)
        assert key is not None
        save(Measurement(d.name, str(d), key, False, "base", s, s / 2, 11.66, 3, "now"), env)
    stored = load(env)
    assert {m.name for m in stored} == {"a", "b"}
    assert lookup(str(a), stored).utterance_s == 0.4  # type: ignore[union-attr]
    assert oct(os.stat(store_path(env).parent).st_mode & 0o777) == "0o700"
    # Measured again: the new figure replaces the old one.
    save(Measurement("a", str(a), identity(a) or "", False, "base", 0.3, 0.1, 11.66, 3, "l"),
         env)
    assert [m.utterance_s for m in load(env) if m.name == "a"] == [0.3]
    # Its weights replaced: the figure was for other files and is not used any more.
    (a / "model.bin").write_bytes(b"\1" * 2000)
    assert [m.name for m in load(env)] == ["b"]
    assert lookup(str(a), load(env)) is None


def test_an_unreadable_store_is_no_measurement_and_one_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The CLI's main(), run in-process by other tests, stops the logger's propagation; pytest
    # then hears the logger itself (it attaches to loggers that do not propagate), so it is
    # heard once either way.
    env = {"XDG_STATE_HOME": str(tmp_path), "HOME": str(tmp_path)}
    assert load(env) == []  # none yet: nothing to say
    store_path(env).parent.mkdir(parents=True)
    store_path(env).write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="dictation"):
        assert load(env) == []
    assert len(caplog.records) == 1 and "ignoring" in caplog.records[0].getMessage()


def test_the_second_pass_is_chosen_from_what_was_measured() -> None:
    from dictation.transcribe.auto import choose_refiner

    def m(name: str, family: str, sample_s: float, english: bool = False) -> Measurement:
        return Measurement(name, f"/m/{name}", "id", english, family, sample_s, sample_s / 3,
                           11.7, 3, "2026-12-06T10:00")

    tiny, base, small = m("tiny.en", "tiny", 0.5, True), m("base", "base", 1.4), \
        m("small.en", "small", 4.0, True)
    # Nothing measured, nothing better than the fast model, or nothing fast enough: off.
    assert choose_refiner([], "tiny", None, 1.2) is None
    assert choose_refiner([tiny], "tiny", None, 1.2) is None
    assert choose_refiner([small], "tiny", None, 1.2) is None  # 2 s a sentence: too slow
    got = choose_refiner([tiny, base, small], "tiny", None, 1.2)
    assert got is not None and got.name == "base" and "0.70 s" in got.reason
    assert choose_refiner([tiny, base, small], "tiny", None, 2.5).name == "small.en"
    # An English-only model is no second pass for German; nor one no better than the first.
    assert choose_refiner([tiny, small], "tiny", "de", 2.5) is None
    assert choose_refiner([tiny, base], "base", None, 1.2) is None
