"""Delivery: utterances become text at the outputs, one at a time and in order, and none is
lost on the way.

- worker.py     the transcription worker (Delivery): the queue, in order; cancel, stop, abort;
                what waits where; the small surface the rest of the daemon sees
- turns.py      its queue: utterances in order, the undo and refinement markers among them
- settle.py     what becomes of an utterance at its turn: removed, held, set aside, fatal
- ending.py     how the run ends: stopped, failed, aborted, the stop grace run out
- send.py       one utterance's way: its text (retried), judged by the guard, through the text
                stage, then joined to the open fragment, continuing it, or a new piece
- join.py       the open fragment's audio, transcribed again with its continuation
- finality.py   when the newest piece is final: the join window, the thinking-pause band
- band.py       the thinking-pause band after a sentence, counted in the audio heard
- outputs.py    each piece to every sink and the observer
- config.py     DeliveryConfig: the worker's settings (prompt, guard, retry, refinement)
- host.py       what the worker asks of the pipeline (Host), and its parts of it (Worker)
- requestprompt.py  each request's prompt: the user's, the bias words, the assembled
                text's tail
- retry.py      the retry policy (backoff, jitter, Retry-After, give-up), the outage, the loop
- keeper.py     each utterance in the spool until delivered; the spool's bound; kept audio
- spool.py      utterances on disk until delivered; dead sessions recovered; the backlog
- spoolfile.py  the spool's files: WAVs with their times, kept audio, in-flight marks

May import: dictation.transcribe, dictation.text, dictation.audio (WAV files), dictation.records,
dictation.transcript, dictation.errors, dictation.storage, dictation.logtext; the outputs only as
the Sink interface, dictation.output.sinks.
spool.py and spoolfile.py stay standard library only: `dictation status` reads the backlog.
"""
