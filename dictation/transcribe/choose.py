"""An engine by its settings: the embedded one (local.py) or an OpenAI-compatible server
(api.py), each imported only when chosen, so a run with the API never loads faster-whisper."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dictation.transcribe.engines import ApiConfig, LocalConfig

if TYPE_CHECKING:
    from dictation.transcribe import Transcriber


def make_transcriber(engine: ApiConfig | LocalConfig) -> Transcriber:
    """Build the engine; the local one starts loading its model right away."""
    if isinstance(engine, LocalConfig):
        from dictation.transcribe.local import LocalTranscriber

        return LocalTranscriber(engine)
    from dictation.transcribe.api import ApiTranscriber

    return ApiTranscriber(engine)
