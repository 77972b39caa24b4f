"""Text the model produced but nobody said: silence phrases, prompt echoes, loops.

On near-silent or noisy audio Whisper answers with the prompt itself, with stock phrases
from its subtitle training data ("Thank you.", "you", "Subtitles by the Amara.org
community"), or with the same words over and over until its token limit. The guard works in
two places:

- before sending: an utterance whose speech hardly rose above the background, or that the
  VAD called speech for only a sliver of its frames, is never sent (the endpointer's
  ``too_weak``, with this module's GuardConfig);
- after (:func:`judge`): loops are cut to one occurrence, unless the audio's speech was long
  enough to say every repeat (a speaker who said it again); then text is dropped when it holds
  no words, every segment is likely silence by the model's own measures, or it is a stock
  phrase of its language (silence.py) and the audio did not clearly hold speech; and text
  longer than anyone could say in the audio's time (:func:`max_chars`) is a hallucination.

Text that could have come from the prompt (an echo of it, the prompt replayed, the bias words
alone, one phrase looped and nothing else, a stock phrase the model had doubts about) is only
*suspected*: the text alone cannot tell an echo from a speaker who said the same thing
again, so :class:`Verdict` marks it ``suspect`` and delivery asks the audio, by transcribing it
again without the prompt (verdict.py's :func:`settle`); echo.py holds those checks. So is text
the model only got by a random draw at its last temperature while doubting it heard speech:
noise gives other words on each draw, speech the same ones.

Every check is linear in the answer's length (loops.py says how loops are found), and an
answer too long to be a loop of real text is refused before any of them runs.

The same short words really spoken ("Thank you.", "Yes.") are kept: the thresholds were
chosen by measurement (bench/guard.py, bench/guard.md).
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dictation.text import languages
from dictation.text.echo import (
    bias_words,
    from_bias,
    is_prompt_echo,
    is_prompt_loop,
    replays_prompt,
)
from dictation.text.loops import find_loops
from dictation.text.silence import (
    DEFAULT_SILENCE_PHRASES,
    SILENCE_PHRASES,
    is_stock,
    normalize,
    phrase_set,
)
from dictation.text.verdict import DOUBTED, ECHO, SAMPLED, Verdict, confirms, settle

if TYPE_CHECKING:
    from dictation.records import Heard
    from dictation.transcript import Segment

__all__ = ["DEFAULT", "DEFAULT_SILENCE_PHRASES", "DOUBTED", "ECHO", "SAMPLED", "GuardConfig",
           "Verdict",
           "answer_limit", "bias_words", "compression_ratio", "confirms", "cut_loops",
           "drop_reason", "from_bias", "is_prompt_echo", "is_prompt_loop", "judge",
           "likely_silence", "max_chars", "mean_logprob", "normalize", "phrase_set",
           "replays_prompt", "said_repeats", "settle"]

CLEAR_SPEECH_DB = 12.0
"""Speech this far above the background is trusted even when it says "Thank you."."""
MAX_CHARS_PER_S = 70.0
"""Twice the fastest speech measured, rounded up: 33 characters of transcript per second of
speech (espeak-ng at 260 words per minute; festival's voice sped up 1.25 times reached 25).
bench/speech_rate.py, bench/hostile.md."""
MAX_CHARS_PER_UTTERANCE = 40
"""Added once per utterance: a short answer said quickly ("See you tomorrow." in half a
second) and the punctuation a model adds."""
SAID_CHARS_PER_S = 20.0
"""Repeats in a row are kept as said when the whole text fits the utterance's speech (the
frames the VAD called speech) at this rate: a brisk talker's, where a decoding loop runs far
faster than anyone talks (conversational speech is about 15 characters a second)."""
LOOP_ROOM_CHARS = 8000
"""Per 30 s window of audio, how much longer than :func:`max_chars` a raw answer may be and
still be looked at: Whisper decodes at most 448 tokens a window, so a loop that ran to the
token limit fits; after the loop is cut, what is left must be within the bound."""


@dataclass(frozen=True)
class GuardConfig:
    silence_phrases: frozenset[str] = field(
        default_factory=lambda: phrase_set(DEFAULT_SILENCE_PHRASES))
    """Dropped unless the audio clearly held speech: English text's (the built-in list and
    ``--silence-phrase``)."""
    user_phrases: frozenset[str] = frozenset()
    """``--silence-phrase``, for text in any language."""
    language_phrases: bool = True
    """Other languages' built-in lists apply to text in them (silence.SILENCE_PHRASES);
    off with ``--no-default-silence-phrases``."""
    clear_speech_db: float = CLEAR_SPEECH_DB
    min_snr_db: float = 6.0
    """Utterances whose speech rose less above the background are not sent."""
    min_speech_share: float = 0.1
    """Nor those whose frames the VAD called speech less often than this."""
    no_speech_prob: float = 0.4
    """A segment is silence when the model's no-speech probability is above this …"""
    max_logprob: float = -1.0
    """… and its mean token log-probability below this. Whisper's own rule is 0.6 and -1.0;
    tiny.en on noise measured 0.37-0.6 with -1.3 to -1.6, real short answers at most -1.14."""
    unsure_logprob: float = -1.4
    """A segment this unsure is silence from a no-speech probability of 0.3 on."""
    last_temperature: float = 1.0
    """Text decoded at this temperature failed Whisper's own checks at every lower one: a
    random draw. Still below ``max_logprob``, with a no-speech probability above 0.3, it is
    only suspected, and stands if a second decode says it too (verdict.settle). White noise
    after a sentence was drawn as "All right." or "No, no, no, no." (-1.22 to -1.36, no-speech
    0.38), other words each time; a French sentence the model hardly knew was drawn the same
    way, and must come out."""
    sure_no_speech: float = 0.85
    """A segment is silence above this however fluent: real answers measured up to 0.76,
    "Thank you very much for watching…" on noise 0.87-0.92."""
    phrase_logprob: float = -1.2
    """A stock phrase whose segments' mean token log-probability is below this is dropped
    however loud the audio (noise that starts suddenly stands far above the background), as
    is one above ``no_speech`` 0.6 with a log-probability below -0.9."""
    doubt_logprob: float = -0.6
    doubt_no_speech: float = 0.3
    """A stock phrase kept by the bounds above but below this log-probability, or above this
    no-speech probability, is only suspected: the audio is asked again without the prompt.
    "Thank you." on sudden noise measured -0.66 to -1.16 with 0.39-0.71, after a prompt that
    held a sentence; without it the same audio gave no text or a loop (tests/test_guard_e2e)."""
    compression_ratio: float = 2.4
    """Text that gzip shrinks more than this repeats itself (Whisper's own signal)."""
    max_chars_per_s: float = MAX_CHARS_PER_S
    """Text longer than this per second of audio, plus ``max_chars_per_utterance``, is made
    up: nobody talks that fast (:func:`max_chars`)."""
    max_chars_per_utterance: int = MAX_CHARS_PER_UTTERANCE

    @classmethod
    def with_phrases(cls, extra: Iterable[str] = (), defaults: bool = True,
                     **kw: float) -> GuardConfig:
        base = DEFAULT_SILENCE_PHRASES if defaults else ()
        return cls(silence_phrases=phrase_set([*base, *extra]), user_phrases=phrase_set(extra),
                   language_phrases=defaults, **kw)

    def phrases(self, language: str | None = None) -> frozenset[str]:
        """The stock phrases of text in ``language`` (None: English): its built-in list
        and the user's."""
        code = languages.code(language)
        if code == languages.DEFAULT:
            return self.silence_phrases
        own = SILENCE_PHRASES.get(code, frozenset()) if self.language_phrases else frozenset()
        return own | self.user_phrases


DEFAULT = GuardConfig()


def max_chars(audio_s: float, config: GuardConfig = DEFAULT) -> int:
    """The most text ``audio_s`` seconds of audio can hold, generously."""
    return int(config.max_chars_per_s * audio_s) + config.max_chars_per_utterance


def answer_limit(audio_s: float, config: GuardConfig = DEFAULT) -> int:
    """A raw answer longer than this is not even looked at for loops."""
    return max_chars(audio_s, config) + LOOP_ROOM_CHARS * max(1, math.ceil(audio_s / 30))


def cut_loops(text: str) -> str:
    """``text`` with each run of the same word or phrase repeated in a row (a decoding loop)
    cut to one occurrence, and a loop's unfinished last repeat at the very end removed.
    The words before and after a loop are kept."""
    return find_loops(text).kept


def compression_ratio(text: str) -> float:
    data = text.encode()
    return len(data) / len(zlib.compress(data)) if data else 0.0


def _annotations_only(text: str) -> bool:
    """Only caption annotations: "[BLANK_AUDIO]", "(silence)", "♪ ♪", "*music*"."""
    # Inner classes exclude the opener, so a run of "[" without "]" is not rescanned from
    # every "[" (quadratic); a nested "[a [b] c]" then counts as words, which is rare.
    bare = re.sub(r"\[[^\[\]]*\]|\([^()]*\)|\*[^*]*\*|[♪♫♬]", " ", text)
    return not normalize(bare) and bool(text.strip())


def likely_silence(segments: Sequence[Segment], config: GuardConfig = DEFAULT) -> bool:
    """Every segment is silence by the model's own measures (needs verbose segments)."""
    def silent(s: Segment) -> bool:
        if s.no_speech_prob is None or s.avg_logprob is None:
            return False
        return (s.no_speech_prob > config.sure_no_speech
                or (s.no_speech_prob > config.no_speech_prob
                    and s.avg_logprob < config.max_logprob)
                or (s.no_speech_prob > 0.3 and s.avg_logprob < config.unsure_logprob))

    return bool(segments) and all(silent(s) for s in segments)


def _guessed(segments: Sequence[Segment], config: GuardConfig) -> bool:
    """Every segment a random draw at the last temperature that the model doubted was
    speech."""
    return bool(segments) and all(
        (s.temperature or 0.0) >= config.last_temperature and s.avg_logprob is not None
        and s.avg_logprob < config.max_logprob and (s.no_speech_prob or 0.0) > 0.3
        for s in segments)


def mean_logprob(segments: Sequence[Segment]) -> float | None:
    probs = [s.avg_logprob for s in segments if s.avg_logprob is not None]
    return sum(probs) / len(probs) if probs else None


def drop_reason(text: str, prompt: str, snr: float, segments: Sequence[Segment] = (),
                config: GuardConfig = DEFAULT, language: str | None = None,
                guessed: bool = False) -> str | None:
    """Why ``text``, in ``language`` (None: English), must not be output, or None to output
    it (loops already cut). ``guessed``: the engine drew it at random from audio its most
    likely reading heard no words in (Transcript.guessed)."""
    said = normalize(text)
    if not said:
        return "it holds no words"
    if _annotations_only(text):
        return "it holds only sound annotations"
    if likely_silence(segments, config):
        return "the model found no speech in it"
    if compression_ratio(text) > config.compression_ratio:
        return "it repeats itself"
    if is_stock(said, config.phrases(language)):
        if snr < config.clear_speech_db:
            return f"a stock phrase on weak audio ({snr:.0f} dB above the background)"
        logprob = mean_logprob(segments)
        no_speech = max((s.no_speech_prob or 0.0 for s in segments), default=0.0)
        if logprob is not None and (logprob < config.phrase_logprob
                                    or (no_speech > 0.6 and logprob < -0.9)):
            return f"a stock phrase the model was unsure of (log-probability {logprob:.2f})"
        if logprob is not None and (logprob < config.doubt_logprob
                                    or no_speech > config.doubt_no_speech):
            return DOUBTED
    if guessed or _guessed(segments, config):
        return SAMPLED
    if is_prompt_echo(text, prompt):
        return ECHO  # last: any evidence above drops it without asking the audio
    return None


def said_repeats(text: str, heard: Heard, audio_s: float | None) -> bool:
    """Could the utterance's speech hold all of ``text``, repeats and all, at a brisk
    talker's rate? The audio's evidence that repeats in a row were said, not looped."""
    return audio_s is not None and len(text) <= SAID_CHARS_PER_S * heard.speech_share * audio_s


def judge(text: str, prompt: str, heard: Heard, segments: Sequence[Segment] = (),
          config: GuardConfig = DEFAULT, audio_s: float | None = None,
          bias: frozenset[str] = frozenset(), language: str | None = None,
          guessed: bool = False) -> Verdict:
    """The text to output (loops cut), or why none. With ``audio_s``, the length of the
    audio the text came from, text longer than :func:`max_chars` is ``made_up``, and repeats
    in a row short enough to have been said in it (:func:`said_repeats`) are kept. ``bias``:
    the words the prompt biased toward (:func:`bias_words`); ``language``: the text's, whose
    stock phrases are dropped on weak audio (None: English); ``guessed``: see drop_reason."""
    if audio_s is not None and len(text) > answer_limit(audio_s, config):
        return Verdict("", _too_long(len(text), audio_s, config), made_up=True)
    if audio_s is not None and len(segments) > max_chars(audio_s, config):  # each holds text
        return Verdict("", f"{len(segments)} segments for {audio_s:.1f} s of audio",
                       made_up=True)
    loops = find_loops(text)
    kept, cut = loops.kept, loops.loops > 0
    if cut and is_stock(normalize(kept), config.phrases(language)):
        return Verdict(kept, "a stock phrase over and over", cut)  # "you you you you you"
    said = cut and said_repeats(text, heard, audio_s)
    if audio_s is not None and len(kept) > max_chars(audio_s, config):
        return Verdict(kept, _too_long(len(kept), audio_s, config), cut, made_up=True)
    out, cut = (" ".join(text.split()), False) if said else (kept, cut)
    if loops.only and not said:  # Whisper on noise, or on the phrase said once after a prompt
        return Verdict(kept, "one phrase over and over, nothing else", cut, suspect=True)
    if (loops.loops and is_prompt_loop(kept, prompt)) or replays_prompt(text, prompt):
        return Verdict(out, "the prompt over and over", cut, suspect=True)
    if from_bias(kept, bias):
        return Verdict(out, "it is made of the prompt's bias words", cut, suspect=True)
    reason = drop_reason(kept, prompt, heard.snr_db, segments, config, language, guessed)
    return Verdict(out, reason, cut, suspect=reason in (ECHO, DOUBTED, SAMPLED))


def _too_long(chars: int, audio_s: float, config: GuardConfig) -> str:
    return (f"{chars} characters for {audio_s:.1f} s of audio, where at most "
            f"{max_chars(audio_s, config)} can be said")
