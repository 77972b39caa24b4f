"""The text stage's settings, composed: what turns an utterance's transcript into the text the
outputs show (commands, then replacements, then post-processing, then assembly with the text
already delivered), and the words recognition is biased toward."""

from __future__ import annotations

from dataclasses import dataclass, field

from dictation.text.boundary import BoundaryConfig
from dictation.text.commands import CommandConfig
from dictation.text.postprocess import PostConfig
from dictation.text.replacements import Replacements


@dataclass(frozen=True)
class TextConfig:
    commands: CommandConfig = field(default_factory=CommandConfig)
    """Spoken commands (--commands on|off, a per-language table in the config)."""
    replacements: Replacements = field(default_factory=Replacements)
    """The user's fixes, applied after commands ([replacements] in the config, a file)."""
    post: PostConfig = field(default_factory=PostConfig)
    """--post-command / --rewrite-model; inactive by default."""
    vocabulary: tuple[str, ...] = ()
    """Words recognition is biased toward (--vocabulary); their capitals are also kept when
    an utterance's first word is lower-cased to continue a sentence."""
    boundary: BoundaryConfig = field(default_factory=BoundaryConfig)
    """Whether the words so far end a sentence: how long an unfinished one is held open."""
