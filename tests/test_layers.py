"""The import rules the package states, enforced: each subpackage's ``__init__`` says what it
may import ("May import: dictation.x, dictation.y.z ..."), the shared bottom modules import no
stage, and no module imports one that imports it back. Every import counts, those made lazily
inside a function and those made for type annotations only: a rule that holds only at run time
still ties the two modules together. And the size bounds: no module over 300 lines, no function
over 60, the argparse declarations aside. Pure: the sources are parsed, nothing is imported."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dictation"
SUBPACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
# What every stage may build on: these modules import no subpackage (endpoint.py only the
# text stage's sanitiser, which imports nothing of dictation).
BOTTOM = {"errors", "logtext", "storage", "env", "records", "transcript", "endpoint"}
BOTTOM_MAY = {"endpoint": ("dictation.text.sanitize",)}


@functools.cache
def parsed(path: Path) -> ast.Module:
    """Each source parsed once, however many checks read it."""
    return ast.parse(path.read_text(), str(path))


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module of dictation ``path`` imports, with its line."""
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("dictation."):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "dictation":
                for alias in node.names:
                    yield node.lineno, f"dictation.{alias.name}"
            elif node.module.startswith("dictation."):
                yield node.lineno, node.module


def stated(package: str) -> tuple[str, ...] | None:
    """The modules ``package``'s docstring says it may import; None: every one."""
    doc = ast.get_docstring(parsed(PACKAGE / package / "__init__.py")) or ""
    m = re.search(r"May import(.*?)(?:\n\n|\Z)", doc, re.S)
    assert m, f"dictation/{package}/__init__.py states no 'May import' rule"
    if "every other part" in m.group(1):
        return None
    return tuple(re.findall(r"dictation(?:\.\w+)+", m.group(1)))


def allowed(module: str, rules: tuple[str, ...]) -> bool:
    return any(module == r or module.startswith(r + ".") for r in rules)


def name_of(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(
        ".__init__")


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_a_stage_imports_only_what_its_init_states(package: str) -> None:
    rules = stated(package)
    if rules is None:
        return
    own = (f"dictation.{package}",)
    broken = [f"{name_of(f)}:{line} imports {mod}"
              for f in sorted((PACKAGE / package).rglob("*.py"))
              for line, mod in imports(f)
              if not allowed(mod, own) and not allowed(mod, rules)]
    assert not broken, f"dictation.{package} may import only {rules}:\n" + "\n".join(broken)


@pytest.mark.parametrize("module", sorted(BOTTOM))
def test_the_shared_bottom_imports_no_stage(module: str) -> None:
    stages = tuple(f"dictation.{p}" for p in SUBPACKAGES)
    broken = [f"{line}: {mod}" for line, mod in imports(PACKAGE / f"{module}.py")
              if allowed(mod, stages) and not allowed(mod, BOTTOM_MAY.get(module, ()))]
    assert not broken, f"dictation.{module} imports stages: {broken}"


def graph() -> dict[str, set[str]]:
    """Module → the modules of dictation it imports (a package import counts as its
    ``__init__``)."""
    files = {name_of(f): f for f in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, f in files.items():
        edges[name] = set()
        for _, mod in imports(f):
            while mod not in files and "." in mod:  # "from dictation.x.y import name"
                mod = mod.rsplit(".", 1)[0]
            if mod in files and mod != name:
                edges[name].add(mod)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    # A package's __init__ naming its modules in a docstring imports none of them, so the
    # package and its modules are not a circle.
    assert cycles(graph()) == []


def test_the_rules_can_fail() -> None:
    """The checks see what they are meant to: a circle and a stage importing past its rule."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert not allowed("dictation.endpoint", ("dictation.transcribe.scheduler",))
    assert allowed("dictation.output.sinks", ("dictation.output.sinks",))
    assert stated("text") is not None and "dictation.deliver" not in stated("text")


MODULE_LINES = 300
FUNCTION_LINES = 60
# argparse declarations read best as one list of options each, so they are let off the
# function bound, and only they.
DECLARATIONS = {"dictation.cli.options": {"_add_run_options"}}


def test_no_module_is_over_the_bound() -> None:
    long = {name_of(f): n for f in PACKAGE.rglob("*.py")
            if (n := len(f.read_text().splitlines())) > MODULE_LINES}
    assert not long, f"split these modules (over {MODULE_LINES} lines): {long}"


def test_no_function_is_over_the_bound() -> None:
    long = {}
    for f in PACKAGE.rglob("*.py"):
        for node in ast.walk(parsed(f)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if n > FUNCTION_LINES and node.name not in DECLARATIONS.get(name_of(f), ()):
                    long[f"{name_of(f)}.{node.name}"] = n
    assert not long, f"split these functions (over {FUNCTION_LINES} lines): {long}"
