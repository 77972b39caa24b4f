"""The hallucination guard's rules, one by one: levels, booleans and segments, no audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dictation.audio.levels import measure
from dictation.audio.vad import Frame
from dictation.cli.build import build_guard, resolve_args
from dictation.errors import ConfigError
from dictation.records import Heard
from dictation.segment.endpointer import too_weak
from dictation.text.guard import (
    DEFAULT,
    SAMPLED,
    GuardConfig,
    Verdict,
    bias_words,
    compression_ratio,
    confirms,
    cut_loops,
    drop_reason,
    judge,
    likely_silence,
    settle,
)
from dictation.transcribe import Segment, Transcript, drawn_from_nothing

LOUD = 30.0  # dB above the background: clearly speech by energy


def seg(text: str = "x", no_speech: float | None = 0.1, logprob: float | None = -0.3
        ) -> Segment:
    return Segment(0.0, 1.0, text, logprob, no_speech)


def frame(level: float, speech: bool, floor: float = 10.0) -> Frame:
    return Frame(np.zeros(480, np.int16), speech, level, floor)


# --- before sending: the energy and VAD floor ---

def test_measure_takes_the_loud_speech_over_the_background_and_the_speech_share() -> None:
    frames = [frame(10, False)] * 6 + [frame(1000, True)] * 4
    heard = measure(frames)
    assert heard.snr_db == pytest.approx(40.0)
    assert heard.speech_share == pytest.approx(0.4)
    assert measure([]) == Heard(0.0, 0.0)


def test_faint_or_sparse_utterances_are_not_sent() -> None:
    assert "dB above the background" in too_weak(Heard(3.0, 0.5))
    assert "sounded like speech" in too_weak(Heard(30.0, 0.05))
    # The quietest real answers measured (bench/guard.md) rose 13 dB, 23 % speech frames.
    assert too_weak(Heard(13.0, 0.23)) is None
    assert too_weak(Heard(3.0, 0.5), GuardConfig(min_snr_db=0)) is None


# --- segment confidence ---

def test_segments_the_model_calls_silence() -> None:
    assert likely_silence([seg(no_speech=0.9, logprob=-1.5)] * 2)
    assert not likely_silence([seg(no_speech=0.9, logprob=-1.5), seg()])  # one was speech
    assert not likely_silence([seg(no_speech=0.7, logprob=-0.4)])  # confident words
    assert likely_silence([seg(no_speech=0.9, logprob=-0.3)])  # fluent, but surely no speech
    assert likely_silence([seg(no_speech=0.35, logprob=-1.5)])  # hardly any likely token
    assert not likely_silence([seg(no_speech=0.36, logprob=-1.14)])  # a real "Thanks."
    assert not likely_silence([seg(no_speech=0.1, logprob=-1.5)])  # unsure, but speech
    assert not likely_silence([seg(no_speech=None, logprob=None)])  # json: nothing to go on
    assert not likely_silence([])
    assert drop_reason("We're going to the next one.", "", LOUD,
                       [seg(no_speech=0.7, logprob=-1.6)]) == "the model found no speech in it"


# --- silence phrases ---

@pytest.mark.parametrize("text", ["[BLANK_AUDIO]", "(silence)", "♪ ♪ ♪", "[Music]",
                                  "*applause*", ". . . ."])
def test_annotations_and_wordless_text_are_never_typed(text: str) -> None:
    assert drop_reason(text, "", 60.0) is not None


@pytest.mark.parametrize("text", ["Thank you.", "Thanks for watching!", " you",
                                  "Subtitles by the Amara.org community", "Please subscribe."])
def test_stock_phrases_are_dropped_on_weak_audio(text: str) -> None:
    assert "stock phrase" in drop_reason(text, "", 8.0)


def test_a_stock_phrase_really_said_survives_unless_the_model_was_unsure() -> None:
    assert drop_reason("Thank you.", "", LOUD, [seg(logprob=-0.2)]) is None
    assert drop_reason("Thank you.", "", LOUD) is None  # json: energy alone decides
    unsure = drop_reason("Thank you.", "", LOUD, [seg(no_speech=0.4, logprob=-1.3)])
    assert unsure and "unsure" in unsure
    assert drop_reason("Thank you for the report.", "", 8.0) is None  # not a stock phrase


def test_the_phrase_list_is_the_users_to_extend_or_replace() -> None:
    mine = GuardConfig.with_phrases(["Copyright ACME Corp."])
    assert drop_reason("copyright acme corp", "", 8.0, config=mine)
    assert drop_reason("Thank you.", "", 8.0, config=mine)  # the defaults are still there
    only = GuardConfig.with_phrases(["Copyright ACME Corp."], defaults=False)
    assert drop_reason("Thank you.", "", 8.0, config=only) is None
    assert drop_reason("Copyright ACME Corp!", "", 8.0, config=only)


# --- loops ---

def test_a_loop_is_cut_to_one_occurrence_and_real_words_are_kept() -> None:
    loop = "I'm going to go to the " * 4
    assert cut_loops(loop) == "I'm going to go to the"
    assert cut_loops(f"Yes, I agree. {loop}and then we left.") == \
        "Yes, I agree. I'm going to go to the and then we left."
    # The token limit cut the last repeat short: that stub goes too.
    assert cut_loops("We met. " + "so we went, " * 5 + "so we") == "We met. so we went,"
    assert cut_loops("the " * 30).strip() == "the"


def test_said_repetitions_are_not_loops() -> None:
    for text in ("No, no, no.", "Thank you, thank you.", "very very very good",
                 "one two three one two three"):
        assert cut_loops(text) == text


def test_judge_cuts_first_then_judges_what_is_left() -> None:
    v = judge("you " * 12, "", Heard(LOUD, 0.5))
    assert v.cut and v.reason == "a stock phrase over and over"
    real = judge("Yes. " + "Send it today. " * 4 + "Thanks.", "", Heard(LOUD, 0.5))
    assert real.cut and real.reason is None and real.text == "Yes. Send it today. Thanks."
    # Nothing but one phrase over and over is what Whisper makes of noise, not dictation.
    bare = judge("So we're going to see what we do, " * 5 + "so we're going", "",
                 Heard(LOUD, 0.5))
    assert bare.cut and bare.reason == "one phrase over and over, nothing else"
    assert bare.suspect  # unless the audio, asked without the prompt, says the phrase
    plain = judge("Send it today.", "", Heard(LOUD, 0.5))
    assert not plain.cut and plain.text == "Send it today."


def test_a_loop_of_the_prompt_is_dropped_but_a_said_loop_of_new_words_is_not() -> None:
    prior = "We deployed the new dashboard yesterday and it looks fine."
    # What faster-whisper-server made of white noise with this prompt: prompt words, looped.
    v = judge("We deployed " + "the new dashboard and " * 4, prior, Heard(LOUD, 0.5))
    assert v.cut and v.reason == "the prompt over and over"
    # New words looping after the same prompt are cut, not dropped; the prompt's words without
    # a loop are judged as usual.
    fresh = judge("Done. " + "Ship the fix today. " * 4, prior, Heard(LOUD, 0.5))
    assert fresh.cut and fresh.reason is None
    once = judge("We deployed the new dashboard and", prior, Heard(LOUD, 0.5))
    assert not once.cut and once.reason is None
    # Two rounds and a stub are too few for cut_loops, yet only the prompt's words, looping.
    short = judge("We deployed the new dashboard yesterday and we deployed the new dashboard "
                  "yesterday and we deployed the new dashboard.", prior, Heard(LOUD, 0.5))
    assert short.reason == "the prompt over and over"
    # A speaker who says prompt words again, or repeats new words, is kept.
    again = judge("The new dashboard looks fine.", prior, Heard(LOUD, 0.5))
    assert again.reason is None
    said = judge("Deploy it again and deploy it again tomorrow.", prior, Heard(LOUD, 0.5))
    assert said.reason is None


def test_repeats_in_a_row_are_kept_when_the_speech_was_long_enough_to_say_them() -> None:
    # The same sentence three times in one utterance: 3 s of audio, 80 % of it speech, is
    # room for 48 characters at a brisk 20 a second, and a looping model writes far more.
    said = "I agree with you. I agree with you. I agree with you."  # 53 characters
    speaking = Heard(LOUD, 0.9)
    v = judge(said, "", speaking, audio_s=3.5)
    assert v.reason is None and not v.cut and v.text == said
    assert judge(said, "", speaking, audio_s=1.5).text == "I agree with you."  # too fast
    yes = "Yes. Yes. Yes. Yes. Yes."  # nothing but one word over and over
    assert judge(yes, "", speaking, audio_s=2.0).text == yes
    assert judge(yes, "", speaking, audio_s=0.5).reason == \
        "one phrase over and over, nothing else"
    # A stock phrase over and over is dropped, however long the audio.
    assert judge("you you you you you", "", speaking, audio_s=9.0).reason
    # Repeated five times, a sentence compresses well: judged as said once, it stays.
    five = " ".join(["The meeting is at noon tomorrow."] * 5)
    assert compression_ratio(five) > DEFAULT.compression_ratio
    assert judge(five, "", speaking, audio_s=10.0).text == five


def test_text_from_the_prompt_is_suspected_and_the_audio_decides() -> None:
    prior = "We deployed the new dashboard yesterday and it looks fine."
    echo = judge("We deployed the new dashboard yesterday.", prior, Heard(LOUD, 0.5))
    assert echo.suspect and echo.reason == "it echoes the prompt"
    replay = judge("We deployed " + "the new dashboard and " * 4, prior, Heard(LOUD, 0.5))
    assert replay.suspect and replay.reason == "the prompt over and over"
    # Evidence of the audio wins over a suspicion: the model's own scores say silence.
    silent = Segment(0.0, 1.0, "x", -1.5, 0.9)
    assert not judge("We deployed the new dashboard yesterday.", prior, Heard(LOUD, 0.5),
                     [silent]).suspect
    # Nothing but the prompt's bias words, three or more, is suspected too; one command
    # said alone is not.
    bias = bias_words(["comma", "period", "new line", "new paragraph", "Grafana"])
    noise = judge("Comma, period, new line, comma.", "", Heard(LOUD, 0.5), bias=bias)
    assert noise.suspect and noise.reason == "it is made of the prompt's bias words"
    assert judge("New paragraph.", "", Heard(LOUD, 0.5), bias=bias).reason is None
    assert judge("Grafana is down, comma", "", Heard(LOUD, 0.5), bias=bias).reason is None
    # Without the prompt, the same words again confirm a speaker who said them again.
    assert confirms("We deployed the new dashboard yesterday.",
                    "we deployed a new dashboard yesterday")
    assert not confirms("We deployed the new dashboard yesterday.", "Ship it tonight.")
    assert not confirms("", "anything")


def test_text_that_compresses_too_well_repeats_itself() -> None:
    # Not one run, so not cut: the same clause keeps coming back between other words.
    text = " ".join(f"we will see {w} and then we will see it again" for w in "abcdefghij")
    assert compression_ratio(text) > DEFAULT.compression_ratio
    assert drop_reason(text, "", LOUD) == "it repeats itself"
    assert compression_ratio("The quick brown fox jumps over the lazy dog.") < 2.4


# --- the options, from the command line and the config file ---

def _guard(argv: list[str], env: dict[str, str] | None = None) -> GuardConfig:
    return build_guard(resolve_args(argv, env or {}).args)


def test_silence_phrase_options(tmp_path: Path) -> None:
    g = _guard(["run", "--silence-phrase", "Copyright ACME.", "--silence-phrase", "Hi all"])
    assert {"copyright acme", "hi all", "thank you"} <= g.silence_phrases
    g = _guard(["run", "--silence-phrase", "Hi all", "--no-default-silence-phrases"])
    assert g.silence_phrases == {"hi all"}
    assert _guard(["run", "--speech-floor", "0"]).min_snr_db == 0


def test_silence_phrases_from_the_config_file_and_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('silence-phrase = ["Copyright ACME.", "Hi all"]\n'
                   "no-default-silence-phrases = true\n")
    assert _guard(["run", "--config", str(cfg)]).silence_phrases == {"copyright acme",
                                                                      "hi all"}
    cfg.write_text('silence-phrase = "Hi all"\n')  # one string is a list of one
    assert "hi all" in _guard(["run", "--config", str(cfg)]).silence_phrases
    # The command line replaces the file's list, as for any other key.
    g = _guard(["run", "--config", str(cfg), "--silence-phrase", "Other"])
    assert "other" in g.silence_phrases and "hi all" not in g.silence_phrases
    g = _guard(["run"], {"DICTATION_SILENCE_PHRASE": "Hi all, Bye now"})
    assert {"hi all", "bye now"} <= g.silence_phrases
    cfg.write_text('\nsilence-phrase = ["ok", "..."]\n')
    with pytest.raises(ConfigError, match=r"line 2: silence-phrase: needs a word"):
        _guard(["run", "--config", str(cfg)])


@pytest.mark.parametrize(("logprob", "no_speech", "doubted"), [
    (-1.16, 0.39, True), (-0.79, 0.71, True), (-0.66, 0.70, True),  # on noise, prompted
    (-0.25, 0.05, False), (-0.45, 0.20, False),  # said clearly
])
def test_a_stock_phrase_the_model_doubts_is_asked_of_the_audio_again(
        logprob: float, no_speech: float, doubted: bool) -> None:
    # "Thank you." after a sentence's prompt, on a sudden noise: the scores alone cannot tell
    # it from a real, quiet "thank you" (real short answers measured down to -1.14).
    seg = (Segment(0.0, 1.0, " Thank you.", logprob, no_speech),)
    v = judge("Thank you.", "Please send the report.", Heard(LOUD, 0.9), seg, audio_s=3.6)
    assert v.suspect is doubted
    assert (v.reason is not None) is doubted
    if not doubted:
        return
    # Without the prompt the noise gave nothing, or a loop: dropped on that evidence.
    assert settle(v, None)[0].reason is not None
    loop = judge("Okay. " * 24, "", Heard(LOUD, 0.9),
                 (Segment(0.0, 3.6, " Okay.", -0.22, 0.78),), audio_s=3.6)
    assert settle(v, loop)[0].reason is not None
    # Said again without the prompt, doubts and all: the speaker said it, it is delivered.
    again = judge("Thank you.", "", Heard(LOUD, 0.9), seg, audio_s=3.6)
    assert settle(v, again)[0].reason is None and settle(v, again)[0].text == "Thank you."


def _drawn(text: str, temperature: float | None, logprob: float = -1.3,
           no_speech: float = 0.38) -> Verdict:
    seg = (Segment(0.0, 3.6, f" {text}", logprob, no_speech, temperature),)
    return judge(text, "Please send the report.", Heard(LOUD, 0.9), seg, audio_s=3.6)


@pytest.mark.parametrize(("temperature", "logprob", "no_speech", "suspect"), [
    (1.0, -1.22, 0.38, True), (1.0, -1.36, 0.38, True),  # white noise, drawn at the last
    (0.0, -1.22, 0.38, False),  # the same scores greedily: not enough on their own
    (None, -1.22, 0.38, False),  # a server that does not say
    (1.0, -0.84, 0.44, False),  # drawn, but the model was fairly sure of it
    (1.0, -1.36, 0.25, False),  # drawn, but the model did not doubt it heard speech
])
def test_a_random_draw_the_model_doubted_is_suspected(
        temperature: float | None, logprob: float, no_speech: float, suspect: bool) -> None:
    v = _drawn("All right.", temperature, logprob, no_speech)
    assert v.suspect is suspect and (v.reason == SAMPLED) is suspect


def test_words_drawn_where_the_greedy_pass_heard_none_are_suspected() -> None:
    # Measured on a noise burst: greedy gave 1-5 characters of no words; the fallback drew
    # 21-35 characters at 0.8-1.0 with scores Whisper's checks pass (-0.63 to -0.70).
    seg = (Segment(0.0, 3.6, " We are going to the park.", -0.67, 0.49, 0.8),)
    args = ("We are going to the park.", "", Heard(LOUD, 0.9), seg)
    assert judge(*args, audio_s=3.6).reason is None  # the scores alone: not enough
    v = judge(*args, audio_s=3.6, guessed=True)
    assert v.suspect and v.reason == SAMPLED
    assert settle(v, judge("Thanks for watching.", "", Heard(LOUD, 0.9), seg, audio_s=3.6,
                           guessed=True))[0].reason is not None


def test_a_draw_is_guessed_only_where_the_greedy_pass_heard_no_words() -> None:
    def decode(text: str, temperature: float) -> Transcript:
        return Transcript(text, (Segment(0.0, 3.6, text, -0.7, 0.45, temperature),)
                          if text else ())

    assert drawn_from_nothing(decode(" ...", 0.0), decode(" We are going.", 0.8))
    assert drawn_from_nothing(decode("", 0.0), decode(" Okay.", 1.0))
    # Greedy heard words (speech its checks failed): the draw is a reading of them.
    assert not drawn_from_nothing(decode(" Who may need the map", 0.0),
                                  decode(" Who may need the map?", 0.2))
    # The redo's greedy pass passed: no draw at all.
    assert not drawn_from_nothing(decode(" ...", 0.0), decode(" We are going.", 0.0))
    assert not drawn_from_nothing(decode(" ...", 0.0), decode(" ♪ ♪", 1.0))  # no words


def test_a_random_draw_stands_only_if_a_second_decode_says_it_too() -> None:
    # Noise: each draw gives other words, so the first is dropped.
    first = _drawn("All right.", 1.0)
    assert settle(first, _drawn("No, no, no, no.", 1.0))[0].reason is not None
    assert settle(first, None)[0].reason is not None
    # Speech the model hardly knew: both draws hold the same words, and it is delivered.
    said = _drawn("Le rapport est prêt pour demain.", 1.0)
    kept, other = settle(said, _drawn("Le rapport est prête pour demain", 1.0))
    assert kept.reason is None and kept.text == said.text and not other
    # The second decode heard speech plainly: its words are what the audio holds.
    plain = _drawn("Le rapport est prêt.", 0.0, -0.4, 0.05)
    assert settle(first, plain) == (plain, True)
