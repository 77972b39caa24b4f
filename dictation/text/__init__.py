"""The text stage: what happens to text before anyone sees it. Pure: no audio, no I/O.

- sanitize.py  untrusted text made safe to show, copy or type (escapes, controls, bidi)
- guard.py     text the model made up: silence phrases, prompt echoes, loops, text too long
               for its audio
- loops.py     decoding loops found in time linear in the text

May import: dictation.errors and dictation.records (types), numpy; nothing of the other stages.
"""
