"""What happens to text before anyone sees it: spoken commands turned into punctuation, line
breaks and retractions, the user's replacements, and optional post-processing by a command or a
chat model. The cores are pure and synchronous, so they are tested without audio; only the
post-processing stage waits on a process or a server, and it never loses the text it was given.
"""
