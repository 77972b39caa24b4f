"""Endpointing: which audio is dictation, and where each utterance begins and ends. Pure,
synchronous cores, tested by feeding them booleans and frames, no audio.

- endpointer.py  frames in, utterances out: the segmenter, the weak-audio check, speculation
                 and interims behind one small interface
- outlet.py      Outlet: what the endpointer and speculation ask of delivery
- gate.py        which audio is dictation: modes and control commands (push-to-talk, toggle)
- segmenter.py   pre-roll, adaptive hangover, min/max length, release: frames → utterances
- tunables.py    the segmenter's settings (SegmenterConfig), each with its reason
- speculate.py   the open utterance transcribed at a pause or breath, and where it ends
- candidate.py   a breath whose text ended a sentence, read against later texts
- pacer.py       how long a pause must last before its utterance is transcribed early, and
                 whether the engine is quick enough for every breath
- interim.py     provisional text of the utterance in progress, for captions

May import: dictation.audio (frames, levels), dictation.text (the guard), dictation.records,
dictation.transcript, dictation.errors, dictation.logtext; the engine only through the
scheduler it is given, dictation.transcribe.scheduler.
"""
