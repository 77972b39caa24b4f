"""Speech-to-text engines behind one interface (Transcriber, below): PCM in, sanitised text out.

- engines.py   their settings (ApiConfig, LocalConfig)
- choose.py    make_transcriber: an engine by its settings, imported only when chosen
- api.py       an OpenAI-compatible server over one httpx client; halves what it refuses (413)
- response.py  the five response formats parsed, bounded and sanitised; Retry-After
- split.py     where to halve an utterance a server refused as too large
- local.py     faster-whisper in this process, on its own thread, with a short window
- resolve.py   which model it loads (--local-model), fetched when not cached
- prompt.py    the prompt: the user's, then the transcript's tail, within Whisper's window
- models.py    the local engine's models: the catalogue, what each is (languages, size, family)
- installed.py which are on this machine: bundled, in packages, in the Hugging Face cache
- hub.py       the model hub through huggingface_hub: a repository's files, errors as one line
- fetch.py     a model downloaded into its cache: resumable, retried, verified
- progress.py  a download's progress: rich's bar on a terminal, else plain lines
- speed.py     how fast this machine decodes with each model, as stored
- measure.py   that speed measured, through this engine (`dictation models bench`)
- auto.py      `--local-model auto`: the most accurate measured model within the budget
- language.py  which language an utterance is in: the detector restricted, and sticky
- scheduler.py every engine call, queued by priority, owned from start to discard

The interface itself (Transcript, Segment, Hint, Transcriber) lives in dictation/transcript.py,
below every stage, and is re-exported here for the engines.

May import: dictation.transcript, dictation.records, dictation.endpoint, dictation.audio (WAV,
levels), dictation.text (sanitising, the guard's bounds), dictation.errors, dictation.logtext,
dictation.storage; httpx, faster-whisper, huggingface_hub, rich (a download's progress).
Nothing of delivery or after.
"""

from __future__ import annotations

from dictation.transcript import Hint, Segment, Transcriber, Transcript

__all__ = ["Hint", "Segment", "Transcriber", "Transcript", "drawn_from_nothing"]


def drawn_from_nothing(greedy: Transcript, fallback: Transcript) -> bool:
    """Is ``fallback``, the same audio decoded again with Whisper's temperature fallback
    after ``greedy`` failed its checks, a draw of words the greedy pass did not hear at all?"""
    return (not _has_words(greedy.text) and _has_words(fallback.text)
            and all((s.temperature or 0.0) > 0 for s in fallback.segments))


def _has_words(text: str) -> bool:
    return any(c.isalnum() for c in text)
