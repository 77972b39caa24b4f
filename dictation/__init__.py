"""dictation: microphone → VAD utterances → speech-to-text → where the cursor is.

The subpackages are the stages, in pipeline order: audio/ (sound in, classified frames out),
segment/ (where utterances end), transcribe/ (the engines), deliver/ (one at a time, in order,
none lost), with text/ (what is done to text), output/ (where it goes), control/ (how the
desktop drives it) and cli/ (the command line). The modules here are what the stages share
(records, errors, config, storage, env, logtext) and what runs them (pipeline, daemon, batch,
launch). Imports point down that order; each subpackage's docstring says what it may import.
"""

__version__ = "0.1.0"
