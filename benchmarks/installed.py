"""Time archiver as a user's install runs it: with its modules byte-compiled.

`pip install archiver` writes the .pyc files at install time. A checkout installed with `pip install
-e .` does not, and where PYTHONDONTWRITEBYTECODE=1 is set (as in this project's containers) Python
never writes them either: every run then compiles archiver's ~100 modules from source, about 0.2 s
of CPU that no installed copy pays. The benchmarks that time the CLI call `byte_compile()` first;
the .pyc files go into the package's __pycache__ directories (git-ignored), and only modules whose
source changed since are compiled again.
"""

from __future__ import annotations

import compileall
import importlib.util
from pathlib import Path


def byte_compile(package: str = "archiver") -> Path:
    """Compile `package` (as this interpreter imports it) into __pycache__; return its directory."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{package} is not importable by this interpreter; pip install -e . first")
    where = Path(next(iter(spec.submodule_search_locations)))
    if not compileall.compile_dir(str(where), quiet=1):  # writes even under PYTHONDONTWRITEBYTECODE
        raise SystemExit(f"byte-compiling {where} failed")
    return where
