"""The floor plan's invariants (ARCHITECTURE.md), checked on the code as it is.

The import rules are import-linter's contracts (`[tool.importlinter]` in pyproject.toml); the rest
read the source (ast) or start a fresh interpreter. Each can fail the day someone imports a task
module into the API, makes a package import back, lets one feature import another, spells a Redis
key outside `shared.keys`, names a task outside `shared.catalog`, registers something by being
imported, or lets ARCHITECTURE.md name a path that is gone.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "workers", "shared")
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
# Paths ARCHITECTURE.md names, as the team's before-stop hook reads them, plus top-level files.
NAMED_PATH = re.compile(r"(?:api|workers|shared|simulators|devstack|bench|migrations|tests)/[A-Za-z0-9_./-]*[A-Za-z0-9_]")
NAMED_MODULE = re.compile(r"`((?:api|workers|shared)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)`")
TASK_NAME = re.compile(r"^(?:hemis|sipuni|recordings|ai|recovery|system)\.[a-z_]+$")
SUBPROCESS_TIMEOUT_S = 60
# celeryconfig.py is configuration: it reads shared, and neither side's code.
CELERYCONFIG_MAY_IMPORT = ("shared",)
OUR_PACKAGES = ("api", "workers", "shared", "celeryconfig")


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    files = [ROOT / "celeryconfig.py", *(path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py")))]
    for path in files:
        yield path, ast.parse(path.read_text(), filename=str(path))


def _string_constants(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def test_architecture_names_only_paths_and_modules_that_exist():
    text = ARCHITECTURE.read_text()
    paths = set(NAMED_PATH.findall(text))
    modules = set(NAMED_MODULE.findall(text))
    assert len(paths) >= 20 and len(modules) >= 2, "ARCHITECTURE.md should name the rooms of the house"
    gone = sorted(p for p in paths if not (ROOT / p).exists() and not (ROOT / f"{p}.py").exists())
    gone += sorted(m for m in modules if not _module_exists(m))
    assert not gone, f"ARCHITECTURE.md names what no longer exists: {gone}"


def _module_exists(dotted: str) -> bool:
    """A module, a package, or a name defined at the top of one (`shared.catalog.QUEUES`)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:cut])
        if base.with_suffix(".py").exists() or (base / "__init__.py").exists():
            return cut >= len(parts) - 1
    return False


def test_the_import_contracts_of_pyproject_hold():
    """shared imports neither side; api and workers never import each other; features are
    independent; the machinery knows no feature; no cycles between sibling sub-packages."""
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "pyproject.toml"], cwd=ROOT,
                          capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_celeryconfig_reads_only_shared():
    tree = ast.parse((ROOT / "celeryconfig.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    ours = {name.split(".")[0] for name in imported} & set(OUR_PACKAGES)
    assert ours <= set(CELERYCONFIG_MAY_IMPORT), ours


def test_every_redis_key_is_named_in_shared_keys():
    spelled = sorted(f"{path.relative_to(ROOT)}: {value!r}" for path, tree in _sources()
                     if path != ROOT / "shared" / "keys.py"
                     for value in _string_constants(tree) if value.startswith("navai:"))
    assert not spelled, f"Redis keys spelled outside shared/keys.py: {spelled}"


def test_task_names_are_constants_of_the_catalogue():
    spelled = sorted(f"{path.relative_to(ROOT)}: {value!r}" for path, tree in _sources()
                     if path != ROOT / "shared" / "catalog.py"
                     for value in _string_constants(tree) if TASK_NAME.match(value))
    assert not spelled, f"task names spelled outside shared/catalog.py: {spelled}"


def _fresh_python(code: str) -> object:
    """Run `code` in a new interpreter at the project root; it prints one JSON value."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=SUBPROCESS_TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_api_process_imports_no_worker_module(session_settings):
    env = session_settings.to_env()
    code = (
        "import json, sys\n"
        "from shared.settings import Settings\n"
        "from api import create_app\n"
        f"create_app(Settings.from_env({env!r}))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'workers' or m.startswith('workers.'))))\n"
    )
    assert _fresh_python(code) == []


def test_importing_every_worker_module_registers_nothing():
    """Only `workers.factory.create_celery` connects signal handlers: importing code must not."""
    code = (
        "import importlib, json, pkgutil, weakref\n"
        "import workers\n"
        "from celery import signals\n"
        "from celery.utils.dispatch import Signal\n"
        "for info in pkgutil.walk_packages(workers.__path__, 'workers.'):\n"
        "    importlib.import_module(info.name)\n"
        "ours = []\n"
        "for name in dir(signals):\n"
        "    signal = getattr(signals, name)\n"
        "    if isinstance(signal, Signal):\n"
        "        for _key, receiver in signal.receivers:\n"
        "            receiver = receiver() if isinstance(receiver, weakref.ReferenceType) else receiver\n"
        "            module = getattr(receiver, '__module__', '') or ''\n"
        "            if module.split('.')[0] in ('workers', 'shared', 'api'):\n"
        "                ours.append(f'{name}: {module}.{receiver.__qualname__}')\n"
        "print(json.dumps(ours))\n"
    )
    assert _fresh_python(code) == []
