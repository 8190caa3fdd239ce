"""Dependencies point one way: a module imports its own stage or a lower one, never a higher one.

The stages, lowest first, are the pipeline's (docs/architecture.md): core helpers, then storage
and media tools, text, speech, programmes, planning, publication, the workflows that drive them,
the wiring (``app``), and the shells (web, service, CLI). The station agent stands apart: it
may import only the core helpers, so that it runs without the server's stack.

The graph is read from the source (every ``import`` of a ``broadcaster`` module, at module
level and inside functions); an edge that runs up fails here. Domain code types the live parts
it uses with protocols (``broadcaster.parts.Parts`` and its extensions), which ``App`` satisfies.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "broadcaster"

STAGES: tuple[tuple[str, ...], ...] = (
    ("", "errors", "fsutil", "localtime", "codes", "logs", "crash_points", "xmltv_ids",
     "yamlbounds", "inputfiles", "local_service", "settings", "domain"),
    ("config", "db", "origins", "media", "parts"),
    ("text", "documents"),
    ("speech",),
    ("programme",),
    ("schedule", "stations", "planning"),
    ("publish",),
    ("announce", "announce_recovery", "check", "coverage", "inbox", "reports", "users", "audit"),
    ("app", "settings_table"),
    ("web",),
    ("service",),
    ("cli",),
    ("__main__",),
)
STAGE = {name: n for n, names in enumerate(STAGES) for name in names}
AGENT = "agent"

# Edges that ran up, each removed by issue 12: none is left, and none may be added.
KNOWN_UP: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def typing_only(tree: ast.AST) -> set[int]:
    """The ids of import statements under ``if TYPE_CHECKING:`` (never run)."""
    return {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
            and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
            for stmt in block.body for node in ast.walk(stmt)}


def imports(name: str, path: Path, known: set[str], runtime: bool = False
            ) -> Iterator[tuple[str, int]]:
    """The ``broadcaster`` modules ``name`` imports, with the line (``from broadcaster.x import
    y`` counts as ``x.y`` when that is a module); ``runtime``: only the imports that run."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = typing_only(tree) if runtime else set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "broadcaster" or alias.name.startswith("broadcaster."):
                    yield alias.name.removeprefix("broadcaster").lstrip("."), node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module and (node.module == "broadcaster"
                                  or node.module.startswith("broadcaster.")):
                target = node.module.removeprefix("broadcaster").lstrip(".")
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}".lstrip(".")
                yield (sub if sub in known else target), node.lineno


def graph(runtime: bool = False) -> dict[str, list[tuple[str, int]]]:
    found = modules()
    return {name: sorted(set(imports(name, path, set(found), runtime)))
            for name, path in found.items()}


def top(name: str) -> str:
    return name.split(".")[0]


def test_every_module_has_a_stage() -> None:
    unplaced = sorted({top(m) for m in modules()} - set(STAGE) - {AGENT})
    assert unplaced == [], f"place these in STAGES (or the agent): {unplaced}"


def test_no_import_runs_up() -> None:
    up = []
    for name, targets in graph().items():
        if top(name) == AGENT:
            continue
        for target, line in targets:
            if top(target) == AGENT:
                if top(name) != "cli":
                    up.append(f"broadcaster/{name}: line {line} imports the agent ({target})")
                continue
            if STAGE[top(target)] > STAGE[top(name)] and (name, target) not in KNOWN_UP:
                up.append(f"{name} line {line} imports {target} "
                          f"(stage {STAGE[top(target)]} above {STAGE[top(name)]})")
    assert up == []


def test_the_known_edges_still_exist() -> None:
    """KNOWN_UP only shrinks: an edge removed from the code must leave the list too."""
    edges = {(name, target) for name, targets in graph().items() for target, _ in targets}
    assert sorted(KNOWN_UP - edges) == []


def test_the_agent_imports_only_the_core() -> None:
    core = set(STAGES[0])
    wrong = [f"{name} line {line} imports {target}"
             for name, targets in graph().items() if top(name) == AGENT
             for target, line in targets if top(target) not in core | {AGENT}]
    assert wrong == []


def test_no_cycle_between_modules() -> None:
    """No cycle among the imports that run (an annotation under ``TYPE_CHECKING`` may point
    back: the player registry checks the agent's settings, whose type the players name)."""
    edges = {name: {t for t, _ in targets if t != name}
             for name, targets in graph(runtime=True).items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_tests_import_no_test_module() -> None:
    """Shared data and helpers live in conftest.py files and support modules (tests/helpers.py,
    tests/processes.py, tests/hostile_docs.py), never in another test module."""
    tests = Path(__file__).resolve().parent
    found = set()
    for path in sorted(tests.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.split(".")[-1].startswith("test_"):
                found.add((path.relative_to(tests).as_posix(), node.module))
    assert sorted(found) == []
