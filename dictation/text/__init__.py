"""The text stage: what happens to text before anyone sees it. Pure: no audio, no I/O, except
post-processing, which waits on the user's command or a chat model and never loses the text it
was given.

- sanitize.py      untrusted text made safe to show, copy or type (escapes, controls, bidi)
- guard.py         text the model made up: silence phrases, prompt echoes, loops, text too long
                   for its audio; silence.py: each language's stock phrases; echo.py: text
                   that may come from the prompt
- loops.py         decoding loops found in time linear in the text
- boundary.py      whether the words so far end a sentence (the endpointer's hold decision);
                   boundwords.py: the words it reads, per language
- assemble.py      each utterance's text joined to what was delivered (capitals, spacing), and
                   the session's revisable pieces; capitals.py: the capitals each
                   language keeps
- revise.py        how an output changes what it shows: BackSpaces and text for a revision;
                   words compared across transcriptions (word_key)
- commands.py      spoken commands: "comma", "new line", "scratch that"…; cmdtables.py: the
                   built-in tables per language, mishearings, and words after which a
                   command is a noun; cmdbuild.py: a language's table with the user's
- languages.py     which language's rules a piece gets: the code the transcriber gave it
- replacements.py  the user's fixes, whole words or checked regular expressions (regexsafe.py)
- postprocess.py   each utterance through the user's command (postcommand.py) or a chat model
                   (rewrite.py), the text kept on any failure
- stage.py         the stage as one: commands, replacements, post-processing, then assembly

May import: dictation.errors, dictation.records and dictation.transcript (types), numpy; httpx
and dictation.endpoint in rewrite.py only; nothing of the other stages.
"""
