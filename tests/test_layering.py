"""How the tiers depend on each other (README, How it fits together): the web tier loads no
PyTorch, and imports flow one way: nstsite -> gallery -> the torch-free engine modules."""

import ast
import importlib.util
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

# What gallery may import of stylizer: the parameter spec and the pure-Python helpers the
# upload checks share with the engine. Anything else (the job, the worker, the engine's
# torch modules) is named by dotted path only.
GALLERY_MAY_IMPORT = {
    "stylizer.engine.params",
    "stylizer.engine.layers",
    "stylizer.engine.schedule",
    "stylizer.engine.pixels",
}
TORCH_FREE = ("stylizer.engine.params", "stylizer.engine.layers", "stylizer.engine.schedule", "stylizer.engine.pixels")


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file: `from a import b` is the module a.b when b is
    a module, else a (whose package __init__ runs either way)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.append((node.lineno, name if _is_module(name) else node.module))
    return found


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _violations(folder: str, refused) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, module in _imports(path)
        if refused(module)
    ]


def _is(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _gallery_refuses(module: str) -> bool:
    if _is(module, "nstsite"):
        return True
    if not _is(module, "stylizer"):
        return False
    return not any(_is(module, allowed) for allowed in GALLERY_MAY_IMPORT)


def test_gallery_imports_nothing_of_nstsite_and_only_the_torch_free_engine():
    assert _violations("gallery", _gallery_refuses) == []


def test_the_engine_imports_nothing_of_django_nor_the_apps():
    refused = ("django", "rest_framework", "rq", "django_rq", "gallery", "nstsite")
    assert _violations("stylizer/engine", lambda module: any(_is(module, name) for name in refused)) == []


@pytest.mark.parametrize("module", TORCH_FREE)
def test_the_engine_modules_the_web_tier_uses_import_no_torch(module):
    code = f"import sys, {module}; assert 'torch' not in sys.modules, 'torch was imported'"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr


def test_the_web_tier_loads_no_torch():
    """A gunicorn worker imports nstsite.wsgi; every URL's view, form, serializer and service
    loads with it (the URLconf and the admin are imported eagerly here)."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "nst.example.com",
        "REDIS_URL": "redis://redis.invalid:6379/0",  # as .ci/run's deploy check: never connected to
    }
    code = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "import nstsite.wsgi\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        "from django.contrib import admin; admin.autodiscover()\n"
        "loaded = sorted(name for name in sys.modules if name == 'torch' or name.startswith('stylizer.'))\n"
        "print(' '.join(loaded))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    modules = loaded.stdout.split()
    assert "torch" not in modules
    allowed = {"stylizer", "stylizer.apps", "stylizer.engine", "stylizer.engine.errors", *TORCH_FREE}
    assert set(modules) <= allowed, modules


def test_no_module_outside_bench_tests_and_migrations_is_over_400_lines():
    """Issue 10's measure of a module a newcomer can read in one sitting."""
    too_long = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in ("bench", "tests", ".git", ".venv", "var") or "migrations" in parts:
            continue
        lines = len(path.read_text().splitlines())
        if lines > 400:
            too_long[str(path.relative_to(ROOT))] = lines
    assert too_long == {}
