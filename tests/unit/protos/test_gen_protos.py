"""The committed generated code is what the protos generate, and it imports from outside the repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.unit.protos.paths import GEN_PROTOS_PATH, GENERATED_PYTHON

# Run from a directory outside the repository so only the installed (editable) packages can be found.
IMPORT_EVERY_GENERATED_MODULE = """
import importlib, pathlib, sys
root = pathlib.Path(sys.argv[1])
modules = sorted(
    ".".join(path.relative_to(root).with_suffix("").parts)
    for path in root.rglob("*.py")
    if path.name != "__init__.py"
)
for name in modules:
    importlib.import_module(name)
print(len(modules))
"""


def test_committed_output_matches_a_fresh_generation() -> None:
    completed = subprocess.run(
        [sys.executable, str(GEN_PROTOS_PATH), "--check"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr


def test_every_generated_module_imports_from_outside_the_repository(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", IMPORT_EVERY_GENERATED_MODULE, str(GENERATED_PYTHON)],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    assert int(completed.stdout) > 0


def test_compare_trees_reports_changed_missing_and_extra_files(
    gen_protos: ModuleType, tmp_path: Path
) -> None:
    expected = tmp_path / "expected"
    actual = tmp_path / "actual"
    for tree in (expected, actual):
        (tree / "package").mkdir(parents=True)
        (tree / "package" / "same.py").write_text("same\n")
    (expected / "package" / "changed.py").write_text("new\n")
    (actual / "package" / "changed.py").write_text("old\n")
    (expected / "package" / "missing.py").write_text("only expected\n")
    (actual / "package" / "extra.py").write_text("only actual\n")

    differences = gen_protos.compare_trees(expected, actual)

    assert [(difference.path, difference.kind) for difference in differences] == [
        ("package/changed.py", "changed"),
        ("package/extra.py", "extra"),
        ("package/missing.py", "missing"),
    ]


def test_compare_trees_ignores_python_caches(gen_protos: ModuleType, tmp_path: Path) -> None:
    expected = tmp_path / "expected"
    actual = tmp_path / "actual"
    (expected / "package").mkdir(parents=True)
    (actual / "package" / "__pycache__").mkdir(parents=True)
    (expected / "package" / "module.py").write_text("code\n")
    (actual / "package" / "module.py").write_text("code\n")
    (actual / "package" / "__pycache__" / "module.cpython-311.pyc").write_bytes(b"\x00")
    (actual / "package" / "stray.pyc").write_bytes(b"\x00")

    assert gen_protos.compare_trees(expected, actual) == []


def test_generation_covers_alphintra_and_inference_but_not_vendored_protos(gen_protos: ModuleType) -> None:
    sources = gen_protos.proto_sources()

    assert "inference/grpc_service.proto" in sources
    assert "alphintra/workflow/v1/workflow_service.proto" in sources
    assert not [source for source in sources if source.startswith("google/")]
    assert sources == sorted(sources)


def test_every_generated_directory_is_a_package() -> None:
    directories = [
        path for path in GENERATED_PYTHON.rglob("*") if path.is_dir() and path.name != "__pycache__"
    ]

    assert directories
    assert [path for path in directories if not (path / "__init__.py").is_file()] == []
