"""Checks of the Markdown documentation: that text moved between files lost nothing, and that
every relative link resolves, to a file and to a heading in it.

    python tools/doccheck.py                      # broken links in README.md and docs/
    python tools/doccheck.py --moved OLD.md       # also: blocks of OLD.md found nowhere now

A document is cut into blocks: a heading, a paragraph, a list item, a table row, a fenced
code block. A block counts as kept when its text, with links reduced to their words and
whitespace folded, appears in one of the documents now; a code block must be there line for
line, in order (a table row may gain words, a code block lines). Exits 1 when something is
missing or broken.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)")
FENCE = "```"


def documents(repo: Path = REPO) -> list[Path]:
    """The user documentation: the README and every Markdown file under docs/."""
    return [repo / "README.md", *sorted((repo / "docs").glob("*.md"))]


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """Each line outside fenced code, with its number."""
    code = False
    for n, line in enumerate(text.split("\n"), 1):
        if line.startswith(FENCE):
            code = not code
        elif not code:
            yield n, line


def blocks(text: str) -> list[str]:
    """The document's blocks, each as one string (code blocks keep their lines)."""
    out: list[str] = []
    current: list[str] = []
    code: list[str] | None = None

    def close() -> None:
        if current:
            out.append(" ".join(current))
            current.clear()

    for line in text.split("\n"):
        if code is not None:
            code.append(line)
            if line.startswith(FENCE):
                out.append("\n".join(code))
                code = None
        elif line.startswith(FENCE):
            close()
            code = [line]
        elif not line.strip():
            close()
        elif line.startswith(("#", "|", "- ", "> ")) or re.match(r"\d+\. ", line):
            close()  # a heading, a table row, a list or quoted item starts a block
            current.append(line)
            if line.startswith(("#", "|")):
                close()
        else:
            current.append(line)
    close()
    return out


SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z(\"“*`])")


def normal(block: str) -> str:
    """A prose block as compared: link targets, markup prefixes and spacing left out."""
    if block.startswith(FENCE):
        return "\n".join(line.rstrip() for line in block.split("\n"))
    text = LINK.sub(r"\1", block)
    text = re.sub(r"^(#+|- |> |\d+\. )\s*", "", text)
    text = re.sub(r"\s+>\s", " ", text)  # a quote's continuation lines
    return " ".join(text.split())


def cells(row: str) -> list[str]:
    """A table row's cells, normalised (an escaped | stays inside its cell)."""
    return [normal(c) for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


def row_kept(old: list[str], rows: list[list[str]]) -> bool:
    """A row is kept when a row of as many cells starts the same and holds each old cell's
    text in its own (a row may gain words, as a field added to a table)."""
    return any(len(r) == len(old) and r[0] == old[0]
               and all(o in n for o, n in zip(old, r, strict=True)) for r in rows)


def code_kept(old: str, codes: list[list[str]]) -> bool:
    """A code block is kept when a code block now holds its lines, in order, word for word
    (lines may have been added between them)."""
    lines = old.split("\n")[1:-1]
    for new in codes:
        rest = iter(new)
        if all(any(line == n for n in rest) for line in lines):
            return True
    return False


def missing(old: str, now: list[str], superseded: set[str] = frozenset()) -> list[str]:
    """Blocks of ``old`` that none of the texts ``now`` holds (a paragraph's sentences in
    ``superseded`` aside: later work replaced them)."""
    new = [b for text in now for b in blocks(text)]
    prose = "\n".join(normal(b) for b in new if not b.startswith(FENCE))
    rows = [cells(b) for b in new if b.startswith("|")]
    codes = [normal(b).split("\n")[1:-1] for b in new if b.startswith(FENCE)]
    lost = []
    for b in blocks(old):
        if b.startswith("|"):
            kept = row_kept(cells(b), rows)
        elif b.startswith(FENCE):
            kept = code_kept(normal(b), codes)
        else:
            # Sentences may be added between a paragraph's own: none may go.
            kept = all(sentence in prose or sentence in superseded
                       for sentence in SENTENCE_END.split(normal(b)) if sentence)
        if not kept:
            lost.append(b)
    return lost


def slug(heading: str) -> str:
    """The anchor a heading gets on GitHub: lower case, punctuation out, spaces to dashes."""
    text = LINK.sub(r"\1", heading.lstrip("#").strip()).lower()
    text = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's anchor, a repeated one numbered as GitHub does."""
    seen: dict[str, int] = {}
    out = set()
    for _, line in prose_lines(text):
        if re.match(r"#{1,6} ", line):
            s = slug(line)
            out.add(f"{s}-{seen[s]}" if s in seen else s)
            seen[s] = seen.get(s, 0) + 1
    return out


@dataclass(frozen=True)
class Link:
    source: Path
    line: int
    target: str


def relative_links(path: Path) -> list[Link]:
    """The links of a document that point into the repository (no scheme, no mail)."""
    return [Link(path, n, m.group(2))
            for n, line in prose_lines(path.read_text())
            for m in LINK.finditer(line)
            if not re.match(r"[a-z][a-z0-9+.-]*:", m.group(2))]


def broken(link: Link) -> str | None:
    """Why ``link`` does not resolve, or None when it does."""
    file, _, anchor = link.target.partition("#")
    target = (link.source.parent / file).resolve() if file else link.source
    if not target.exists():
        return f"no file {file}"
    if anchor and target.suffix == ".md" and anchor not in anchors(target.read_text()):
        return f"no heading #{anchor} in {target.name}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moved", type=Path, metavar="OLD.md",
                        help="a document whose blocks must all be found in the docs now")
    args = parser.parse_args()
    docs = documents()
    bad = [f"{k.source.relative_to(REPO)}:{k.line}: {k.target}: {why}"
           for path in docs for k in relative_links(path) if (why := broken(k))]
    if args.moved:
        bad += [f"{args.moved}: lost: {b[:100]}"
                for b in missing(args.moved.read_text(), [p.read_text() for p in docs])]
    print("\n".join(bad) or "documentation: every block kept, every link resolves")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
