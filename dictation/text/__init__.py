"""What happens to text before anyone sees it: spoken commands turned into punctuation, line
breaks and retractions; the user's replacements; optional post-processing by a command or a
chat model; whether the words so far end a sentence; how each utterance's text joins the text
already delivered, and how a delivered piece is revised.

The cores are pure and synchronous and import nothing from the other stages (so they are
tested without audio): the pipeline and the outputs call them with strings and get strings
back. Only post-processing waits on a process or a server, and it never loses the text it was
given.
"""
