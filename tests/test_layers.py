"""The import graph of ``logship/``: no cycle, at run time or for the type checker only.

Every import counts, wherever it is written: at the top of a module, inside a
function (a lazy import still ties the two modules together) and under
``if TYPE_CHECKING:``. A package's ``__init__`` is the package; importing a
module does not count as importing its parent packages (Python runs their
``__init__`` first, but that is the package's own business, not a dependency).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "logship"

Graph = Mapping[str, frozenset[str]]


def module_name(path: Path) -> str:
    """``logship/rules/_match.py`` -> ``logship.rules._match``; an ``__init__`` is its package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of the package by name."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(tree: ast.Module, name: str, is_package: bool) -> Iterator[str]:
    """The dotted name of what each import of ``tree`` names, relative imports resolved.

    ``import a.b`` gives ``a.b``; ``from a import b`` gives ``a.b`` (a module, or a
    name in ``a``: the caller tells them apart); ``from . import b`` in
    ``logship.x.y`` gives ``logship.x.b``.
    """
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            origin = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                origin = f"{base}.{origin}" if origin else base
            yield from (f"{origin}.{alias.name}" for alias in node.names)


def owning_module(dotted: str, known: Mapping[str, Path]) -> str | None:
    """The longest prefix of ``dotted`` that is a module: ``logship.config.Config`` -> config."""
    parts = dotted.split(".")
    while parts and ".".join(parts) not in known:
        parts.pop()
    return ".".join(parts) or None


def import_graph() -> dict[str, frozenset[str]]:
    """Module -> the logship modules it imports (itself left out)."""
    known = modules()
    graph: dict[str, frozenset[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imported = imported_modules(tree, name, path.name == "__init__.py")
        targets = {owning_module(dotted, known) for dotted in imported}
        graph[name] = frozenset(t for t in targets if t is not None and t != name)
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def a_cycle(graph: Graph, component: list[str]) -> list[str]:
    """One cycle through the first module of ``component``, as a path that returns to it."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:  # breadth first: the shortest way back to start
        following = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    return [*paths[node], start]
                if child not in paths:
                    paths[child] = [*paths[node], child]
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle in {component}")


def describe(graph: Graph, components: list[list[str]]) -> str:
    return "\n".join(" -> ".join(a_cycle(graph, component)) for component in components)


class TestImportGraph:
    def test_no_cycle(self) -> None:
        """No module of logship imports, directly or not, a module that imports it."""
        graph = import_graph()
        components = strongly_connected(graph)
        assert not components, "import cycles:\n" + describe(graph, components)

    def test_the_graph_sees_every_kind_of_import(self) -> None:
        """Relative, function-level and TYPE_CHECKING imports are all edges."""
        graph = import_graph()
        # `from ._decide import decide` in logship/rules/__init__.py
        assert "logship.rules._decide" in graph["logship.rules"]
        # `from ._match import apply_rules` inside rules._decide.decide
        assert "logship.rules._match" in graph["logship.rules._decide"]
        # `from logship.config.rules import IgnoreRule` under TYPE_CHECKING
        assert "logship.config.rules" in graph["logship.rules._decide"]
        # `from logship.config import Config`: the package, not a name in it
        assert "logship.config" in graph["logship.pipeline"]

    def test_the_check_finds_a_cycle(self) -> None:
        """A made-up cycle is reported as the path that closes it."""
        graph = {
            "a": frozenset({"b"}),
            "b": frozenset({"c"}),
            "c": frozenset({"a"}),
            "d": frozenset(),
        }
        components = strongly_connected(graph)
        assert components == [["a", "b", "c"]]
        assert describe(graph, components) == "a -> b -> c -> a"

    def test_the_model_imports_no_stage(self) -> None:
        """records, exceptions and config (the model layer) import only the model and leaves."""
        graph = import_graph()
        model = {name for name in graph if name.startswith("logship.config")}
        model |= {"logship.records", "logship.records.tools", "logship.exceptions"}
        # Leaf modules of data the model's defaults are made of (no logship imports of their own
        # beyond these): mask (DEFAULT_MASKS), secret_patterns, truncate (Sentry's tag limits).
        leaves = {"logship.mask", "logship._cache", "logship.secret_patterns", "logship.truncate"}
        for name in sorted(model):
            assert graph[name] <= model | leaves, (name, sorted(graph[name] - model - leaves))


class TestArchitectureDiagram:
    def test_names_every_module(self) -> None:
        """docs/architecture.md's diagram names every module: its file, or its package's folder."""
        diagram = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")

        def named(path: Path) -> bool:
            if path.name != "__init__.py":
                return path.name in diagram
            return path.parent == PACKAGE or f"{path.parent.name}/" in diagram

        missing = [
            str(p.relative_to(PACKAGE)) for p in sorted(PACKAGE.rglob("*.py")) if not named(p)
        ]
        assert missing == []
