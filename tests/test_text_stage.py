"""The text stage without audio: commands, then replacements, then post-processing (a real
command), then assembly; the prompt with its bias words and the guard's prompt without them.
"""

from __future__ import annotations

import asyncio
import sys

from dictation.deliver.requestprompt import Prompter
from dictation.records import Heard
from dictation.text.boundary import BoundaryConfig
from dictation.text.commands import CommandConfig, Rendered
from dictation.text.config import TextConfig
from dictation.text.guard import judge
from dictation.text.postprocess import PostConfig
from dictation.text.replacements import from_table
from dictation.text.stage import TextStage, split_piece

CLEAR = Heard(20.0, 0.9)


def render(stage: TextStage, transcript: str) -> Rendered:
    return asyncio.run(stage.render(transcript))


def test_commands_come_before_replacements() -> None:
    # A replacement for a command word never sees it: the command took it first.
    stage = TextStage(TextConfig(replacements=from_table({"comma": "KOMMA", "get hub": "GitHub"})))
    assert render(stage, "Push it to get hub, comma.") == Rendered("Push it to GitHub,")
    off = TextStage(TextConfig(commands=CommandConfig(enabled=False),
                               replacements=from_table({"comma": "KOMMA"})))
    assert render(off, "Push it, comma.").text == "Push it, KOMMA."


def test_post_processing_comes_last_and_never_sees_a_command() -> None:
    upper = f"{sys.executable} -c \"import sys; print(sys.stdin.read().upper())\""
    stage = TextStage(TextConfig(replacements=from_table({"get hub": "GitHub"}),
                                 post=PostConfig(command=upper)))
    try:
        assert render(stage, "Dear Sam, comma, new line. get hub").text == "DEAR SAM,\nGITHUB"
        assert render(stage, "Scratch that.") == Rendered("", retract=True)
        # Punctuation said alone stays punctuation that attaches to the text before.
        assert render(stage, "Comma.") == Rendered(",", attach=True)
    finally:
        asyncio.run(stage.aclose())


def test_punctuation_said_alone_replaces_the_mark_the_model_wrote() -> None:
    stage = TextStage(TextConfig())
    assert stage.add(1, render(stage, "Dear Sam.")) == (None, "Dear Sam.")
    rev, piece = stage.add(2, render(stage, "Comma."))
    assert rev is not None and (rev.seq, rev.old, rev.new) == (1, "Dear Sam.", "Dear Sam")
    assert piece == ","
    rev, piece = stage.add(3, render(stage, "New line."))
    assert rev is None and piece == "\n"
    assert stage.add(4, render(stage, "thank you for the photos."))[1] == \
        "Thank you for the photos."
    assert stage.history() == "Dear Sam,\nThank you for the photos."
    assert split_piece(" Thank you.") == (" ", "Thank you.")
    assert split_piece("\nThank you.") == ("", "\nThank you.")


def test_a_continuation_extends_the_piece_and_a_retraction_leaves_the_prompt() -> None:
    stage = TextStage(TextConfig())
    stage.add(1, render(stage, "It works."))
    stage.add(2, render(stage, "The meeting is at."))
    assert not stage.complete("The meeting is at.") and stage.complete("It works.")
    assert stage.complete("Dear Sam,\n")  # a line ended on purpose
    assert stage.continues("three on Friday.") and not stage.continues("Lunch is ready.")
    rev = stage.extend_last(render(stage, "three on Friday."))
    assert rev is not None and rev.new == " The meeting is at three on Friday."
    assert stage.history(before_last=True) == "It works."
    rev = stage.retract_last()
    assert rev is not None and rev.new == "" and stage.history() == "It works."
    assert stage.after_last(render(stage, "It works well. The meeting is at three.")) is None
    stage.add(2, render(stage, "It types wherever your cursor is."))
    rest = stage.after_last(render(stage, "It types wherever your cursor is. Speak up, comma"))
    assert rest == Rendered("Speak up,")
    assert stage.after_last(render(stage, "It types wherever your cursor is now.")) is None
    assert stage.ends_with_retract("The meeting is at, scratch that.")
    assert not stage.ends_with_retract("The meeting is at scratch.")


def test_the_guard_compares_answers_with_the_prompt_without_its_bias_words() -> None:
    stage = TextStage(TextConfig(vocabulary=("Xiomara",)))
    prompt = Prompter(stage, "Letters.").prompt()
    assert prompt.text.startswith("Letters. Xiomara, period, full stop, comma,")
    assert prompt.echo == "Letters."
    said = "New line, new paragraph."  # really said: two commands
    assert judge(said, prompt.text, CLEAR).reason == "it echoes the prompt"  # the trap
    assert judge(said, prompt.echo, CLEAR).reason is None
    stage.add(1, render(stage, "Hello Xiomara."))
    again = Prompter(stage, "").prompt()
    assert again.text.endswith("delete that. Hello Xiomara.")
    assert again.echo == "Hello Xiomara."


def test_commands_off_leave_the_prompt_to_the_user_and_the_transcript() -> None:
    stage = TextStage(TextConfig(commands=CommandConfig(enabled=False)))
    assert Prompter(stage, "Notes:").prompt().text == "Notes:"
    assert render(stage, "The trial period ends, new line.").text == \
        "The trial period ends, new line."


def test_the_models_sentence_end_is_doubted_a_line_said_as_a_command_is_not() -> None:
    stage = TextStage(TextConfig())
    hi = BoundaryConfig().rethink_s[1]
    assert stage.rethink_s("The invoice from the printing company.") == hi
    assert stage.rethink_s("Could you ask Sarah to?") == hi
    assert stage.rethink_s("Dear Sam,\n") == 0.0  # a line said as a command
    off = TextStage(TextConfig(boundary=BoundaryConfig(hold_s=0)))
    assert off.rethink_s("The invoice from the printing company.") == 0.0
