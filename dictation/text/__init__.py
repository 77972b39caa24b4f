"""What happens to text before anyone sees it: whether the words so far end a sentence, how
each utterance's text joins the text already delivered, and how a delivered fragment is
revised.

Everything here is pure and synchronous, and imports nothing from the other stages: the
pipeline and the outputs call it with strings and get strings back.
"""
