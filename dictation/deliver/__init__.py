"""Delivery: utterances become text at the outputs, one at a time and in order, and none is
lost on the way.

- worker.py     the transcription worker: the queue, the prompt, retries, the guard, the sinks
- retry.py      the retry policy (backoff, jitter, Retry-After, give-up) and outage state
- keeper.py     each utterance in the spool until delivered; the spool's bound; kept audio
- spool.py      utterances on disk until delivered; dead sessions recovered; the backlog
- spoolfile.py  the spool's files: WAVs with their times, kept audio, in-flight marks

May import: dictation.transcribe, dictation.text, dictation.audio (WAV files), dictation.records,
dictation.errors, dictation.storage, dictation.logtext; the outputs only as the Sink interface.
spool.py and spoolfile.py stay standard library only: `dictation status` reads the backlog.
"""
