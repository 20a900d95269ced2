"""The project's import graph, from the source (ast): every `import` and `from ... import`, at module
level or inside a function, between the units of a chosen depth (`api`, `shared.runs`...)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path, packages: Iterable[str], depth: int) -> dict[str, set[str]]:
    """{unit: units it imports}, a unit being a dotted name cut to `depth` parts (a top-level module
    like `shared.settings` is a unit of its own at depth 2). Imports of other packages are left out."""
    packages = tuple(packages)
    graph: dict[str, set[str]] = {}
    for path in _python_files(root, packages):
        name = module_name(root, path)
        source = _unit(name, depth)
        targets = graph.setdefault(source, set())
        for imported in _imports(ast.parse(path.read_text()), name, path.name == "__init__.py"):
            if imported.split(".")[0] in packages:
                target = _unit(imported, depth)
                if target != source:
                    targets.add(target)
    return graph


def _python_files(root: Path, packages: tuple[str, ...]) -> list[Path]:
    files = []
    for package in packages:
        single = root / f"{package}.py"
        files += [single] if single.exists() else sorted((root / package).rglob("*.py"))
    return files


def _unit(name: str, depth: int) -> str:
    return ".".join(name.split(".")[:depth])


def _imports(tree: ast.Module, module: str, is_package: bool) -> Iterable[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            yield base
            # `from shared import keys` imports the module shared.keys
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    parent = parts if is_package else parts[:-1]
    parent = parent[:len(parent) - (node.level - 1)]
    return ".".join(parent + ([node.module] if node.module else []))


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components (iterative): a component of two or more is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for start in list(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components
