"""dictation: microphone → VAD utterances → speech-to-text → where the cursor is.

The subpackages are the stages, in pipeline order: audio/ (sound in, classified frames out),
segment/ (where utterances end), transcribe/ (the engines), deliver/ (one at a time, in order,
none lost), with text/ (what is done to text), output/ (where it goes), control/ (how the
desktop drives it) and cli/ (the command line). The modules here are what the stages share
(records, errors, config, storage, env, logtext) and what runs them (pipeline, daemon, batch,
launch). Imports point down that order; each subpackage's docstring says what it may import.
"""

import sys

__version__ = "0.1.0"

# httpx imports its command-line client whenever click, pygments and rich are installed
# (rich is ours, click comes with huggingface_hub): ~6 MB and 0.3 s at every start, for a
# command dictation never runs. A None entry makes that one import fail, and httpx then
# defines a stub in its place.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
