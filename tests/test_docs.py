"""The documentation: a short README that maps docs/, nothing of the long README it replaced
lost, every relative link resolving, and the reference pages covering what the program has
(every option of every command, every event and field, every control command)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import doccheck
import pytest
from conftest import REPO

from dictation.cli.options import build_parser
from dictation.cli.tree import options, walk
from dictation.segment.gate import COMMANDS

README = REPO / "README.md"
DOCS = REPO / "docs"
# The README as it was before its reference moved to docs/, and its git blob id there.
BEFORE = REPO / "tests" / "fixtures" / "readme-before-docs.md"
BEFORE_BLOB = "63eaac88717b2dd13cebf8b8915b1a7cc34efaf1"


def section(text: str, heading: re.Pattern[str]) -> str:
    """The text under the first heading that matches, up to the next heading of its level."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if (m := re.match(r"(#+) ", line)) and heading.search(line):
            level = len(m.group(1))
            end = next((j for j in range(i + 1, len(lines))
                        if (n := re.match(r"(#+) ", lines[j])) and len(n.group(1)) <= level),
                       len(lines))
            return "\n".join(lines[i + 1:end])
    return ""


def test_the_readme_is_short() -> None:
    assert len(README.read_text().splitlines()) <= 300


def test_the_readme_maps_every_page_of_docs() -> None:
    index = section(README.read_text(), re.compile(r"^## Documentation$"))
    linked = {Path(t).name for _, t in doccheck.LINK.findall(index)}
    pages = {p.name for p in DOCS.glob("*.md")}
    assert len(pages) >= 10
    assert pages - linked == set(), "add them to the README's Documentation list"


@pytest.mark.parametrize("path", doccheck.documents() + sorted((REPO / "bench").glob("*.md")),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(path: Path) -> None:
    broken = [f"line {k.line}: {k.target}: {why}"
              for k in doccheck.relative_links(path) if (why := doccheck.broken(k))]
    assert not broken, broken


def test_the_link_check_finds_a_missing_file_and_heading(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# Two words\n\ntext\n")
    a = tmp_path / "a.md"
    a.write_text("[ok](b.md#two-words) [gone](c.md) [off](b.md#three) [self](#top)\n# Top\n")
    found = {k.target: doccheck.broken(k) for k in doccheck.relative_links(a)}
    assert found == {"b.md#two-words": None, "c.md": "no file c.md",
                     "b.md#three": "no heading #three in b.md", "#top": None}


def test_the_old_readme_is_the_one_git_had() -> None:
    data = BEFORE.read_bytes()
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    assert blob == BEFORE_BLOB


# Sentences of the old README that later work made untrue, each with what replaced it: the
# check keeps the move honest, not the old text forever.
SUPERSEDED = {
    "**Sticky.** A short utterance (under 1.5 s:": "languages.md: sticky where it must be",
    '"OK.", a name) or an uncertain one (the likeliest of your languages under 80 %) keeps '
    "the language of the piece before it; a confident detection switches.":
        "languages.md: an uncertain piece is decoded in its two likeliest languages",
    "Detection left 4 of 24 pieces in a wrong language (two French and one German heard as "
    "English, one German as Spanish) and adds 29 ms median (71 ms p90) to a decode, now that "
    "the detector and the decoding share the utterance's features; the text of English and "
    "Spanish came out the same as with the language given.":
        "languages.md: the figures before and after deciding unsure pieces by two decodes",
    "On Wayland no program sees another's keys, so wtype and ydotool type final text only, "
    "as does `--output paste`, and xdotool without `xinput`.":
        "revisions.md: on Sway wtype corrects itself (the compositor's IPC is watched)",
    "**Typing into the focused window.** `--output type` types each piece of text where the "
    "cursor is, a space between one and the next, and changes it when a fragment is joined "
    "with its continuation (xdotool only; see Sentences across pauses).":
        "outputs.md: and wtype on Sway",
    "It is on by default where typing can correct itself (xdotool with `xinput` on X11) and "
    "the engine transcribes interims (the local engine; `--interim S` turns them on with the "
    "API engine, which bills each one).": "revisions.md: and wtype on Sway",
    "`--live off` types each piece only once it is shown, as before. wtype, ydotool and "
    "`--output paste` cannot correct what they typed: they never type live, and say so in "
    "one line.": "revisions.md: wtype off Sway",
    "So typing with xdotool types the words of the sentence still being spoken: every 0.7 s "
    "the local engine transcribes the utterance so far (an interim; a breath's speculation "
    "counts as one), and the words two consecutive decodes agree on from the start, word for "
    "word, marks included, are typed, rendered as the piece will be (commands, replacements, "
    "capitals, the space before it).":
        "revisions.md: a word whose mark the decodes disagree on is typed without it",
    "Measured with `bench/live.py` (a real Tk window under Xvfb, read every 40 ms; the local "
    "engine with tiny.en; the 45 s monologue of 13 sentences with no pause between them, and "
    "the calm session).": "revisions.md: measured again, the monologue's 12 sentences",
    "Four runs of the monologue with live typing: each sentence's last word reached the "
    "window 1.33, 1.77, 1.86 and 1.41 s after it was spoken (medians; p90 2.3–3.4 s), and "
    "typing deleted 1.8–7.2 % of the characters it typed (2.8 % median).":
        "revisions.md: the figures with live words as every later decode's start",
    "In the same run as the last, without live typing: 3.33 s median, 6.59 s p90.":
        "revisions.md: the same, measured again",
    "Calm dictation: 0.46 s against 0.49 s without.": "revisions.md: the same, measured again",
    "There it deleted 8 characters, on one sentence that tiny.en misheard in two ways "
    "(1.4 %).": "revisions.md: no character deleted on calm speech",
    "Measured with tiny.en on a letter dictated in four voices (bench/commands.md): 158 of "
    "168 commands rendered right (94 %), 5 command words typed as words, and none of the "
    "command words of 48 ordinary sentences turned into a command; taking command words as "
    "commands anywhere renders no more and turns 39 ordinary words into commands.":
        "commands.md: 160 of 168 on a fresh run of the bench",
    "While commands are on, their phrases also go into the prompt (as vocabulary, below): "
    'tiny.en otherwise hears "comma new line" as "Kamenu line" (62 % of the commands '
    "rendered without, 94 % with).": "commands.md: 67 % without, 95 % with",
    "**Spoken commands** (`.venv/bin/python bench/commands.py`, bench/commands.md; a letter "
    "with 168 spoken commands and 48 sentences using command words as words, in four voices, "
    "through the embedded engine): 94.0 % of the commands rendered right (target ≥ 95 %:":
        "bench.md: 95.2 %, met",
    '**missed** by 2, both one voice\'s "delete that" heard as "Delete now"), 5 command words '
    "typed literally (target 0:": "bench.md: today's transcripts hear it right",
    '**missed**; 3 are "Ana full stop" heard as "and a full stop"), no ordinary word turned '
    "into a command (target 0: met).": "bench.md: 4 are",
    "The command phrases in the prompt move calm WER from 0.067 to 0.086 (target: no worse; "
    "**missed** by two words of one sentence that any prompt prefix moves; overall 0.140 → "
    "0.146).": "bench.md: overall 0.118 → 0.137 on today's transcripts",
    "Spoken commands in French, Spanish and German are measured like the English ones in "
    "bench/cmdlanguages.md (`.venv/bin/python bench/cmdlanguages.py`): marks rendered right fr "
    "11–12/22, es 14/24, de 19/22 over two runs (a hard clip's text varies from run to run:":
        "languages.md: es 19/24 with a mark and a line break said together",
    "Whisper's fallback samples it); command words typed as words fr 1–2, es 9, de 0; ordinary "
    'sentences that use the command words ("Le point de départ…", "Puso una coma de más.") '
    "turned into commands 0, 0 and 1 of 8 each.": "languages.md: es 3 typed as words",
    'As in English, a command run on between words with no pause ("listo punto nueva línea '
    'saludos") stays words: pause around it, as the model then sets it off with commas.':
        "languages.md: unless it is a mark and a line break said together",
    "Once an utterance is 3 s long, every breath is transcribed, however short (one 30 ms "
    "frame: all a fast talker leaves between sentences); with an engine slower than 0.5 s an "
    "answer, whose text would still be out when a calm sentence ends, only from 6 s on.":
        "engine.md: 1.0 s, and two breaths at once at a server",
    "Most of a sentence reads as a sentence too, so a breath whose text ends a sentence is "
    "only a candidate until the next breath's text, which hears more, ends a sentence at the "
    "same word (and, at the rate that text gives, the candidate's audio held no more words "
    "than its text:": "engine.md: a later breath's text, on the same last word",
    "A breath that ends a sentence still waits for the next breath's text to confirm it: "
    "about 2 s with the API engine.": "bench.md: a later breath's text",
}


def test_nothing_of_the_old_readme_is_lost() -> None:
    now = [p.read_text() for p in doccheck.documents()]
    # The module tree changes with the code: the next test checks it against the modules.
    lost = [b for b in doccheck.missing(BEFORE.read_text(), now, set(SUPERSEDED))
            if not b.startswith("```\ndictation/\n")]
    assert not lost, "\n\n".join(b[:200] for b in lost)


def test_the_layout_names_every_module() -> None:
    layout = (DOCS / "layout.md").read_text()
    named = set(re.findall(r"[\w]+\.py\b", layout))
    modules = {p.name for p in (REPO / "dictation").rglob("*.py")} - {"__init__.py"}
    assert modules - named == set(), "docs/layout.md: add them to the tree"


def test_the_move_check_finds_a_lost_block() -> None:
    old = ("# T\n\nA paragraph that\nwraps.\n\n| a | b |\n|---|---|\n| x | y z |\n\n"
           "- an item\n\n```sh\ncode here\n```\n")
    same = "# T\n\nA [paragraph](x.md) that wraps.\n\n| a | b |\n|---|---|\n| x | y z w |\n" \
           "\n- an item\n\n```sh\ncode here\n```\n"
    assert doccheck.missing(old, [same]) == []
    assert doccheck.missing(old, [same.replace("that wraps", "that")]) == [
        "A paragraph that wraps."]
    assert doccheck.missing(old, [same.replace("| y z w |", "| y |")]) == ["| x | y z |"]
    assert doccheck.missing(old, [same.replace("code here", "code")]) == [
        "```sh\ncode here\n```"]
    assert doccheck.missing(old, [same.replace("code here\n", "code here\nmore\n")]) == []


def test_every_option_of_every_command_is_in_docs_options() -> None:
    text = (DOCS / "options.md").read_text()
    absent = []
    for path, parser in walk(build_parser()):
        heading = (re.compile(r"Global options") if not path
                   else re.compile(rf"`dictation {re.escape(path[0])}`"))
        part = section(text, heading)
        assert part, f"docs/options.md has no section for {' '.join(path) or 'global options'}"
        absent += [(path, o) for o in options(parser)
                   if not re.search(rf"`([\w-]+ )*{re.escape(o)}[`\s=]", part)]
    assert not absent, absent


def test_every_event_and_field_is_in_docs_events() -> None:
    schema = json.loads((REPO / "dictation" / "data" / "events.schema.json").read_text())
    rows = (DOCS / "events.md").read_text().splitlines()
    absent = []
    for variant in schema["oneOf"]:
        kind = variant["properties"]["type"]["const"]
        row = next((r for r in rows if r.startswith(f"| `{kind}` |")), "")
        absent += [(kind, f) for f in variant["properties"]
                   if f not in ("type", "v", "time", "t") and f"`{f}`" not in row]
        absent += [(kind, "row")] if not row else []
    assert not absent, absent


def test_every_control_command_is_in_docs_control() -> None:
    text = (DOCS / "control.md").read_text()
    assert [c for c in COMMANDS if not re.search(rf"^\| .*`{c}\b", text, re.M)] == []


def test_the_readmes_test_command_is_what_ci_runs() -> None:
    ci = (REPO / ".ci" / "run").read_text().strip().splitlines()[-1]
    block = section(README.read_text(), re.compile(r"^## Tests$"))
    assert ci == "make test"
    assert re.search(r"^make test\b", block, re.M), "the README's Tests section lost `make test`"
    quick = section(README.read_text(), re.compile(r"^## Quick start$"))
    assert re.search(r"^make run\b", quick, re.M) and re.search(r"^make test\b", quick, re.M)
