"""Post-processing: each utterance's text through the user's own command (``--post-command``)
or an OpenAI-compatible chat model (``--rewrite-model``), after commands and replacements.

Whatever goes wrong (the command fails, hangs, prints nothing or far too much; the server is
down, slow, or answers with something else than the text), the text it was given is used, and
one warning line says why. Repeated failures of the same stage are one line until it works
again, so a server that is down does not print a line per utterance.

Spoken commands are never sent through either: :meth:`PostProcessor.process` takes the
utterance's final text and sends each line that has words in it separately, so line breaks,
lines that are only punctuation, and retractions ("scratch that", which the caller handles
before this stage) never reach the command or the model. When both are set, the command runs
first and the model gets its output.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from dictation.text.postcommand import Outcome, command_argv, run_command
from dictation.text.rewrite import DEFAULT_INSTRUCTION, Rewriter

log = logging.getLogger("dictation")

__all__ = ["DEFAULT_INSTRUCTION", "Outcome", "PostConfig", "PostProcessor"]


@dataclass(frozen=True)
class PostConfig:
    command: str | None = None
    """--post-command: argv split as a shell would (shlex), run without a shell."""
    command_timeout_s: float = 5.0
    """The text waits for the command: a dictation that lags seconds behind is broken."""
    rewrite_model: str | None = None
    """--rewrite-model: a chat model at ``rewrite_url``."""
    rewrite_url: str = "https://api.openai.com/v1"
    """--rewrite-url: an OpenAI-compatible base URL (…/v1)."""
    rewrite_timeout_s: float = 10.0
    instruction: str = DEFAULT_INSTRUCTION
    max_changed: float = 0.25
    """Share of the words the model may change before its answer is set aside (rewrite.py)."""
    api_key: str | None = field(default=None, repr=False)
    """The same key the transcription uses; never printed."""
    allow_insecure_http: bool = False
    """Plain http:// to a host other than this machine (text and key in clear)."""
    ca_cert: Path | None = None
    """Extra CA certificate (PEM) trusted for the chat model's TLS."""

    @property
    def active(self) -> bool:
        return bool(self.command or self.rewrite_model)


class PostProcessor:
    """The stage: one per run, so the chat model's connection is kept alive."""

    def __init__(self, config: PostConfig) -> None:
        self.config = config
        self.argv = command_argv(config.command) if config.command else None
        self.rewriter = (Rewriter(config.rewrite_url, config.rewrite_model, config.api_key,
                                  config.instruction, config.rewrite_timeout_s,
                                  config.max_changed, config.allow_insecure_http,
                                  config.ca_cert)
                         if config.rewrite_model else None)
        self._failing: set[str] = set()

    async def process(self, text: str) -> str:
        """``text`` after the command and the model, line by line (see the module
        docstring); any failure keeps what that stage was given."""
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if any(ch.isalnum() for ch in line):
                lead = line[: len(line) - len(line.lstrip())]
                lines[i] = lead + await self._line(line.strip())
        return "\n".join(lines)

    async def _line(self, text: str) -> str:
        if self.argv is not None:
            text = self._report("post-command", await run_command(
                self.argv, text, self.config.command_timeout_s, self.config.api_key))
        if self.rewriter is not None:
            text = self._report("rewrite", await self.rewriter.rewrite(text))
        return text

    def _report(self, stage: str, outcome: Outcome) -> str:
        if outcome.problem is None:
            if stage in self._failing:
                self._failing.discard(stage)
                log.info("%s works again", stage)
            return outcome.text
        if stage in self._failing:
            log.debug("%s; the text is kept as it was", outcome.problem)
        else:
            self._failing.add(stage)
            log.warning("%s; the text is kept as it was", outcome.problem)
        return outcome.text

    async def aclose(self) -> None:
        if self.rewriter is not None:
            await self.rewriter.aclose()
