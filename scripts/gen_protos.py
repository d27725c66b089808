"""Generate the Python code and the Envoy descriptor set from protos/, or check that they are current.

    python scripts/gen_protos.py            regenerate protos/python/ and deploy/envoy/alphintra.pb
    python scripts/gen_protos.py --check    regenerate into a temporary directory and compare; exit 1
                                            (listing the differing files) when the committed output is stale

The generated code is committed so that the services import it without a build step; the check keeps it
honest in CI. Generation always happens in a temporary directory first, so a failed protoc run never
leaves a half-written tree, and files that no longer have a source disappear.

Only protos/alphintra and protos/inference are compiled. The vendored googleapis protos under
protos/google are include paths only: at run time their Python modules come from googleapis-common-protos.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = REPOSITORY_ROOT / "protos"
PYTHON_OUTPUT = PROTO_ROOT / "python"
DESCRIPTOR_SET = REPOSITORY_ROOT / "deploy" / "envoy" / "alphintra.pb"
SOURCE_AREAS = ("alphintra", "inference")
# Well-known types (google/protobuf/*.proto) ship with grpcio-tools.
WELL_KNOWN_TYPES_INCLUDE = Path(grpc_tools.__file__).resolve().parent / "_proto"
# Files Python or tools leave next to the generated code; they are not part of it.
IGNORED_NAMES = {"__pycache__"}
IGNORED_SUFFIXES = {".pyc"}
PACKAGE_MARKERS = ("__init__.py",)
TYPED_MARKER = "py.typed"


@dataclass(frozen=True)
class Difference:
    """One way in which the committed output differs from a fresh generation."""

    path: str
    kind: str  # "changed", "missing" (should exist, does not) or "extra" (exists, should not)

    def __str__(self) -> str:
        return f"{self.kind:8} {self.path}"


def proto_sources(proto_root: Path = PROTO_ROOT) -> list[str]:
    """Every .proto file to compile, relative to proto_root, in a stable order."""
    sources = [
        path.relative_to(proto_root).as_posix()
        for area in SOURCE_AREAS
        for path in (proto_root / area).rglob("*.proto")
    ]
    return sorted(sources)


# Not imported by our protos, yet Envoy's transcoder needs them to render the rich error details the
# services attach (BadRequest, RequestInfo, ...) as JSON; without them REST errors have an empty body.
DESCRIPTOR_SET_EXTRAS = ("google/rpc/error_details.proto",)


def _protoc(*arguments: str) -> None:
    exit_code = protoc.main(
        [
            "grpc_tools.protoc",
            f"--proto_path={PROTO_ROOT}",
            f"--proto_path={WELL_KNOWN_TYPES_INCLUDE}",
            *arguments,
        ]
    )
    if exit_code != 0:
        raise RuntimeError(f"protoc failed with exit code {exit_code}")


def run_protoc(sources: list[str], python_out: Path, descriptor_set_out: Path) -> None:
    """Generate Python from `sources`, and the descriptor set from them plus the extras Envoy needs."""
    python_out.mkdir(parents=True, exist_ok=True)
    descriptor_set_out.parent.mkdir(parents=True, exist_ok=True)
    _protoc(
        f"--python_out={python_out}", f"--pyi_out={python_out}", f"--grpc_python_out={python_out}", *sources
    )
    _protoc(
        f"--descriptor_set_out={descriptor_set_out}", "--include_imports", *sources, *DESCRIPTOR_SET_EXTRAS
    )


def add_package_markers(python_out: Path) -> None:
    """Make every generated directory a regular package, so setuptools finds them and imports are plain."""
    for directory in sorted(path for path in python_out.rglob("*") if path.is_dir()):
        for marker in PACKAGE_MARKERS:
            (directory / marker).touch()
    for area in SOURCE_AREAS:
        top_level = python_out / area
        if top_level.is_dir():
            # PEP 561: type checkers may use the generated .pyi stubs.
            (top_level / TYPED_MARKER).touch()


def generate(destination: Path) -> tuple[Path, Path]:
    """Generate into destination/python and destination/alphintra.pb; return both paths."""
    python_out = destination / "python"
    descriptor_set_out = destination / "alphintra.pb"
    run_protoc(proto_sources(), python_out, descriptor_set_out)
    add_package_markers(python_out)
    return python_out, descriptor_set_out


def _is_ignored(relative: Path) -> bool:
    return any(part in IGNORED_NAMES for part in relative.parts) or relative.suffix in IGNORED_SUFFIXES


def list_files(root: Path) -> set[str]:
    """Files under root (relative POSIX paths), without caches Python leaves behind."""
    if not root.is_dir():
        return set()
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not _is_ignored(path.relative_to(root))
    }


def compare_trees(expected: Path, actual: Path) -> list[Difference]:
    """How the tree at actual differs from the tree at expected: changed, missing and extra files."""
    expected_files = list_files(expected)
    actual_files = list_files(actual)
    differences = [Difference(path, "missing") for path in expected_files - actual_files]
    differences += [Difference(path, "extra") for path in actual_files - expected_files]
    differences += [
        Difference(path, "changed")
        for path in expected_files & actual_files
        if not filecmp.cmp(expected / path, actual / path, shallow=False)
    ]
    return sorted(differences, key=lambda difference: difference.path)


def compare_file(expected: Path, actual: Path, label: str) -> list[Difference]:
    """Compare one file; label is how it is reported."""
    if not actual.is_file():
        return [Difference(label, "missing")]
    if not filecmp.cmp(expected, actual, shallow=False):
        return [Difference(label, "changed")]
    return []


def check() -> list[Difference]:
    """Generate into a temporary directory and report how the committed output differs from it."""
    with tempfile.TemporaryDirectory(prefix="gen_protos_") as temporary:
        python_out, descriptor_set_out = generate(Path(temporary))
        differences = [
            Difference(f"protos/python/{difference.path}", difference.kind)
            for difference in compare_trees(python_out, PYTHON_OUTPUT)
        ]
        differences += compare_file(
            descriptor_set_out, DESCRIPTOR_SET, DESCRIPTOR_SET.relative_to(REPOSITORY_ROOT).as_posix()
        )
    return differences


def write() -> None:
    """Generate and replace protos/python/ and the descriptor set with the result."""
    with tempfile.TemporaryDirectory(prefix="gen_protos_") as temporary:
        python_out, descriptor_set_out = generate(Path(temporary))
        if PYTHON_OUTPUT.exists():
            shutil.rmtree(PYTHON_OUTPUT)
        shutil.copytree(python_out, PYTHON_OUTPUT)
        DESCRIPTOR_SET.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(descriptor_set_out, DESCRIPTOR_SET)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="compare the committed output with a fresh generation"
    )
    arguments = parser.parse_args(argv)
    if not arguments.check:
        write()
        print(f"generated {len(proto_sources())} protos into {PYTHON_OUTPUT.relative_to(REPOSITORY_ROOT)}/")
        return 0
    differences = check()
    if not differences:
        print("generated code is up to date")
        return 0
    print("generated code is stale; run `python scripts/gen_protos.py`. Differences:", file=sys.stderr)
    for difference in differences:
        print(f"  {difference}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
