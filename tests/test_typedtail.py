"""The pure core of typing that corrects itself: what typing put at the end of the window and
how each change reaches it (output/typedtail.py), the words typed during speech
(deliver/live.py), and how they read against the text before them (TextStage.preview); and
the one line said when live typing is asked for but cannot type."""

from __future__ import annotations

import asyncio
import logging

import pytest

from dictation.cli.build import build_config, resolve_args
from dictation.deliver.live import agreed_words, with_mark
from dictation.output.typedtail import (
    Plan,
    Typed,
    beyond,
    for_live,
    for_piece,
    for_revision,
    for_settle,
)
from dictation.text.config import TextConfig
from dictation.text.revise import edit
from dictation.text.stage import TextStage


def typed(*entries: tuple[int, str, bool], gone: int | None = None) -> list[Typed]:
    return [Typed(seq, text, 0, "w", live=live, gone=seq == gone) for seq, text, live in entries]


def keys(entries: list[Typed], plan: Plan) -> tuple[int, str]:
    assert plan.old == "".join(e.text for e in entries[plan.at:])
    return edit(plan.old, plan.text)


def test_live_words_grow_and_are_only_typed_once() -> None:
    t = typed((1, "Hello there.", False))
    plan = for_live(t, 2, " And then")
    assert plan is not None and (plan.at, plan.new) == (1, ((2, " And then", True),))
    assert keys(t, plan) == (0, " And then")
    t = typed((1, "Hello there.", False), (2, " And then", True))
    plan = for_live(t, 2, " And then we left")
    assert plan is not None and keys(t, plan) == (0, " we left")
    assert for_live(t, 2, " And then") is None  # nothing new
    # An interim that changed words already typed: they stay until the final corrects them,
    assert for_live(t, 2, " Anne then we left") is None
    # or until the agreed words run well past them.
    assert for_live(t, 2, " Anne then we left the house") is None
    plan = for_live(t, 2, " Anne then we left the house at dawn")
    assert plan is not None and keys(t, plan) == (len("d then"), "ne then we left the house "
                                                  "at dawn")


def test_an_utterance_with_no_text_takes_its_live_words_back() -> None:
    t = typed((1, "Hello there.", False), (2, " Um so", True))
    plan = for_live(t, 2, "")
    assert plan is not None and plan.new == () and keys(t, plan) == (6, "")


def test_live_words_left_when_their_utterance_is_delivered_are_taken_back() -> None:
    t = typed((1, "One.", False), (2, " Um so", True), (3, " Then we", True))
    plan = for_settle(t, 2)  # utterance 3's live words are typed again after
    assert plan is not None and (plan.at, plan.new) == (1, ((3, " Then we", True),))
    assert keys(t, plan) == (len("Um so Then we"), "Then we")
    plan = for_settle(t, None)  # the run ends: all of it
    assert plan is not None and plan.new == () and plan.old == " Um so Then we"
    assert for_settle(t, 9) is None and for_settle(typed((1, "One.", False)), None) is None
    t[1].locked = True  # the user typed after it: it stays
    assert for_settle(t, 2) is None


def test_the_final_text_corrects_only_the_differing_tail() -> None:
    t = typed((1, "Hello there.", False), (2, " The court early", True), gone=2)
    plan = for_piece(t, 2, " The quarterly review.")
    assert plan.at == 1 and plan.new == ((2, " The quarterly review.", False),)
    assert keys(t, plan) == (len("court early"), "quarterly review.")


def test_live_words_past_a_breath_cut_stay_as_the_next_utterances() -> None:
    t = typed((1, " The stalls were busy. The bread", True), gone=1)
    plan = for_piece(t, 1, " The stalls were busy.")
    assert plan.new == ((1, " The stalls were busy.", False), (2, " The bread", True))
    assert keys(t, plan) == (0, "")  # nothing deleted, nothing typed again
    t = typed((1, " The stalls were busy, the bread", True), gone=1)
    assert for_piece(t, 1, " The stalls were busy.").new == (
        (1, " The stalls were busy.", False),)  # not its start: corrected as usual


def test_a_piece_before_live_words_still_spoken_goes_before_them() -> None:
    # Utterance 3 is typed live while utterance 2's text is on its way: 2 comes first.
    t = typed((1, "One.", False), (3, " Three and", True))
    plan = for_piece(t, 2, " Two.")
    assert plan.new == ((2, " Two.", False), (3, " Three and", True))
    assert plan.old == " Three and" and plan.text == " Two. Three and"
    # And no new live words start while an utterance's delivery is under way.
    assert for_live(typed((1, "One.", False), (2, " Two", True), gone=2), 3, " Three") is None


def test_a_join_replaces_the_live_words_of_the_utterance_it_took_in() -> None:
    t = typed((1, " The meeting is at", False), (2, " three o'clock", True), gone=2)
    plan = for_revision(t, 1, " The meeting is at three o'clock.")
    assert plan is not None and plan.new == ((1, " The meeting is at three o'clock.", False),)
    assert keys(t, plan) == (0, ".")


def test_scratch_that_takes_back_the_piece_and_the_command_typed_live() -> None:
    t = typed((1, "Send it now.", False), (2, " Scratch", True), gone=2)
    plan = for_revision(t, 1, "")
    assert plan is not None and plan.new == () and keys(t, plan) == (len(t[0].text) + 8, "")


def test_a_revision_under_live_words_still_spoken_types_them_again_after_it() -> None:
    t = typed((1, " Court early review.", False), (2, " Next we", True))
    plan = for_revision(t, 1, " Quarterly review.")
    assert plan is not None and plan.text == " Quarterly review. Next we"
    assert for_revision(t, 9, "x") is None  # not the newest piece: out of reach


def test_beyond_is_what_a_text_adds_to_words_already_shown() -> None:
    assert beyond("The court early", "The court early review, at noon.") == "review, at noon."
    assert beyond("The court", "the Court, quite") == "quite"


def test_live_words_are_those_two_decodes_agree_on_marks_included() -> None:
    assert agreed_words("Please remind me.", "Please remind me. To") == "Please remind me"
    assert agreed_words("Is it, that", "Is it, the") == "Is it"
    # The word whose mark the two disagree on counts, without its mark; none after it.
    assert agreed_words("near the bridge. The", "near the bridge the") == "near the bridge"
    assert agreed_words("near the bridge the stalls", "near the bridge. The stalls") == \
        "near the bridge"
    assert agreed_words("near the bridge, then", "near the bridges then") == "near the"
    assert agreed_words("", "Dear Sam") == ""


def test_the_words_decodes_go_on_from_keep_a_mark_the_newest_places_inside() -> None:
    assert with_mark("near the bridge", "near the bridge. The") == "near the bridge."
    assert with_mark("near the bridge", "near the bridge.") == "near the bridge"  # its end
    assert with_mark("Is it", "Is it, the") == "Is it,"
    assert with_mark("near the", "near the bridge") == "near the"


def test_a_preview_reads_as_the_piece_would_be_delivered_and_adds_nothing() -> None:
    async def main() -> None:
        stage = TextStage(TextConfig())
        assert await stage.preview("hello there") == "Hello there"
        stage.add(1, await stage.render("Hello there."))
        assert await stage.preview("and then, new line, we") == " And then,\nWe"
        assert await stage.preview("scratch that") == ""  # a command that takes text back
        assert await stage.preview("comma") == ""  # it attaches to the piece before
        assert stage.history() == "Hello there."

    asyncio.run(main())


@pytest.mark.parametrize(("argv", "says"), [
    (["--base-url", "http://127.0.0.1:8000/v1", "--live", "on"], True),  # no interims
    (["--base-url", "http://127.0.0.1:8000/v1", "--live", "on", "--interim", "0.7"], False),
    (["--engine", "local", "--live", "on"], False),
    (["--base-url", "http://127.0.0.1:8000/v1"], False),  # not asked for: nothing to say
])
def test_live_typing_asked_for_without_interims_is_one_line(
        caplog: pytest.LogCaptureFixture, argv: list[str], says: bool) -> None:
    caplog.set_level(logging.WARNING, logger="dictation")
    cfg = build_config(resolve_args(["run", "--output", "type", *argv],
                                    {"OPENAI_API_KEY": "sk-test"}).args)
    assert cfg.typer.live is (True if "on" in argv else None)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == int(says) and all("--interim SECONDS" in x for x in lines), lines
