"""dictation: microphone → VAD utterances → speech-to-text → where the cursor is."""

__version__ = "0.1.0"
