"""The static figures of a checkout, from its source text and `ast` only (nothing is imported).

Scope: every `.py` file under the top-level packages `api/`, `workers/`, `shared/`, plus the
top-level module `celeryconfig.py`. A module's name is its path made dotted (`__init__.py` names
its package), so the figures follow whatever layout the checkout has.
"""

from __future__ import annotations

import ast
import math
import re
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

TOP_PACKAGES = ("api", "workers", "shared")
TOP_MODULES = ("celeryconfig",)
UNITS = TOP_PACKAGES + TOP_MODULES
P90 = 0.90
# A module "builds Redis key names itself" when its text holds the shared prefix constant or a
# string literal (plain or f-string) starting with the key namespace; see the module docstring of
# bench/floorplan.py for why a text search is good enough here.
REDIS_KEY_PATTERN = re.compile(r"KEY_PREFIX|[\"']navai:")
SKIPPED_DIRS = frozenset({"__pycache__"})

Graph = dict[str, set[str]]
NodeOf = Callable[[str], str]  # module name -> the graph node it belongs to


@dataclass(frozen=True)
class SourceModule:
    name: str
    path: Path
    is_package: bool  # an __init__.py: relative imports resolve against the module itself
    text: str
    tree: ast.Module | None  # None: the file does not parse (a checkout mid-restructure)


@dataclass
class StaticFigures:
    modules_by_unit: dict[str, int]
    total_modules: int
    subpackages: list[str]
    module_lines: list[int]
    function_lines: list[int]
    redis_key_modules: list[str]
    top_cycles: list[list[str]]
    subpackage_cycles: list[list[str]]
    unparsable: list[str] = field(default_factory=list)


def collect_modules(repo: Path) -> list[SourceModule]:
    """Every module in scope, sorted by name."""
    paths = [path for unit in TOP_PACKAGES for path in _python_files(repo / unit)]
    paths += [repo / f"{name}.py" for name in TOP_MODULES if (repo / f"{name}.py").is_file()]
    return sorted((_read_module(repo, path) for path in paths), key=lambda module: module.name)


def _python_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).parts
        if not any(part in SKIPPED_DIRS or part.startswith(".") for part in relative):
            yield path


def _read_module(repo: Path, path: Path) -> SourceModule:
    parts = list(path.relative_to(repo).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        tree: ast.Module | None = ast.parse(text, filename=str(path))
    except SyntaxError:
        tree = None
    return SourceModule(name=".".join(parts), path=path, is_package=is_package, text=text, tree=tree)


def compute(repo: Path) -> StaticFigures:
    modules = collect_modules(repo)
    if not modules:
        raise RuntimeError(f"no Python modules under {', '.join(TOP_PACKAGES)} in {repo}: is it the project?")
    graph = import_graph(modules)
    return StaticFigures(
        modules_by_unit={unit: sum(1 for m in modules if m.name.split(".")[0] == unit) for unit in TOP_PACKAGES},
        total_modules=len(modules),
        subpackages=subpackages(repo),
        module_lines=[len(module.text.splitlines()) for module in modules],
        function_lines=[length for module in modules for length in function_lengths(module)],
        redis_key_modules=[module.name for module in modules if REDIS_KEY_PATTERN.search(module.text)],
        top_cycles=cycles(collapse(graph, unit_node)),
        subpackage_cycles=cycles(collapse(graph, subpackage_node)),
        unparsable=[module.name for module in modules if module.tree is None],
    )


def subpackages(repo: Path) -> list[str]:
    """Directories below a top-level package that hold Python files (with or without __init__)."""
    found = {".".join(path.parent.relative_to(repo).parts)
             for unit in TOP_PACKAGES for path in _python_files(repo / unit)}
    return sorted(name for name in found if "." in name)


def function_lengths(module: SourceModule) -> Iterator[int]:
    """Lines of every def / async def (methods and nested functions included)."""
    if module.tree is None:
        return
    for node in ast.walk(module.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None:
            yield node.end_lineno - node.lineno + 1


def median_and_p90(values: Iterable[int]) -> tuple[float, int]:
    """The median, and the 90th percentile by nearest rank (a value that occurs in the data)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0, 0
    return statistics.median(ordered), ordered[math.ceil(P90 * len(ordered)) - 1]


# --- the import graph ------------------------------------------------------------------------------

def import_graph(modules: list[SourceModule]) -> Graph:
    """Module -> the project modules it imports: every `import` and `from ... import` anywhere in
    the file (module level, inside functions, under TYPE_CHECKING), relative ones resolved."""
    known = {module.name for module in modules}
    graph: Graph = {}
    for module in modules:
        targets = {target for target in imported_names(module, known) if target.split(".")[0] in UNITS}
        targets.discard(module.name)
        graph[module.name] = targets
    return graph


def imported_names(module: SourceModule, known: set[str]) -> Iterator[str]:
    if module.tree is None:
        return
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = from_base(module, node)
            if base is None:
                continue
            for alias in node.names:
                # `from shared import settings` imports a module; `from shared.db import engine` a name of one.
                candidate = f"{base}.{alias.name}" if base else alias.name
                yield candidate if candidate in known else base


def from_base(module: SourceModule, node: ast.ImportFrom) -> str | None:
    """The absolute module a `from X import ...` reads from; None if a relative import climbs
    above the top level."""
    if node.level == 0:
        return node.module or ""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    parts = package.split(".") if package else []
    climb = node.level - 1
    if climb > len(parts):
        return None
    parts = parts[:len(parts) - climb]
    if node.module:
        parts += node.module.split(".")
    return ".".join(parts)


def unit_node(module_name: str) -> str:
    """Top level: api, workers, shared or celeryconfig."""
    return module_name.split(".")[0]


def subpackage_node(module_name: str) -> str:
    """Sub-package level: `workers.hemis.tasks` -> `workers.hemis`; a module directly in a top-level
    package is its own node (`shared.settings`); a package's __init__ is the package (`workers`)."""
    return ".".join(module_name.split(".")[:2])


def collapse(graph: Graph, node_of: NodeOf) -> Graph:
    """The graph between groups of modules (edges inside one group dropped)."""
    collapsed: Graph = {}
    for source, targets in graph.items():
        group = node_of(source)
        collapsed.setdefault(group, set())
        for target in targets:
            target_group = node_of(target)
            collapsed.setdefault(target_group, set())
            if target_group != group:
                collapsed[group].add(target_group)
    return collapsed



def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components with more than one node (each is a knot of mutual imports)."""
    return sorted((sorted(component) for component in tarjan(graph) if len(component) > 1),
                  key=lambda component: (-len(component), component))


def tarjan(graph: Graph) -> list[list[str]]:
    """Tarjan's strongly connected components, iterative (no recursion limit on deep chains)."""
    index_of: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index_of:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph.get(root, ()))))]
        index_of[root] = lowlink[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index_of:
                    index_of[successor] = lowlink[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    advanced = True
                    break
                if successor in on_stack:
                    lowlink[node] = min(lowlink[node], index_of[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components
