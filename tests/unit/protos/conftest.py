"""Fixtures over the contracts.

The checks read the committed descriptor set (deploy/envoy/alphintra.pb, what Envoy's transcoder loads)
rather than importing the generated modules: a descriptor pool of our own cannot clash with other
definitions of the same symbols (tritonclient also defines package `inference`), and the
`gen_protos.py --check` test ties the descriptor set to the sources.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from google.api import annotations_pb2  # noqa: F401  registers the google.api.http option for parsing
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_tools import protoc

from tests.unit.protos.paths import DESCRIPTOR_SET_PATH, GEN_PROTOS_PATH

OWN_AREAS = ("alphintra/", "inference/")


def load_gen_protos() -> ModuleType:
    """Import scripts/gen_protos.py, which is a script and not part of any package."""
    specification = importlib.util.spec_from_file_location("gen_protos", GEN_PROTOS_PATH)
    assert specification is not None
    assert specification.loader is not None
    module = importlib.util.module_from_spec(specification)
    # dataclasses look their module up in sys.modules while the module executes.
    sys.modules["gen_protos"] = module
    specification.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def gen_protos() -> ModuleType:
    return load_gen_protos()


@pytest.fixture(scope="session")
def descriptor_set() -> descriptor_pb2.FileDescriptorSet:
    return descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET_PATH.read_bytes())


@pytest.fixture(scope="session")
def own_files(descriptor_set: descriptor_pb2.FileDescriptorSet) -> list[descriptor_pb2.FileDescriptorProto]:
    """Our proto files (not the vendored googleapis or the well-known types)."""
    files = [file for file in descriptor_set.file if file.name.startswith(OWN_AREAS)]
    assert files, f"no alphintra/ or inference/ files in {DESCRIPTOR_SET_PATH}"
    return files


@pytest.fixture(scope="session")
def pool(descriptor_set: descriptor_pb2.FileDescriptorSet) -> descriptor_pool.DescriptorPool:
    """A private pool holding every file of the descriptor set, for resolving message and field types."""
    private_pool = descriptor_pool.DescriptorPool()
    for file in descriptor_set.file:
        private_pool.Add(file)
    return private_pool


@pytest.fixture(scope="session")
def documented_files(
    gen_protos: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> list[descriptor_pb2.FileDescriptorProto]:
    """Our proto files compiled with their comments (source info), which the committed set leaves out."""
    output = tmp_path_factory.mktemp("documented") / "documented.pb"
    sources = gen_protos.proto_sources()
    exit_code = protoc.main(
        [
            "grpc_tools.protoc",
            f"--proto_path={gen_protos.PROTO_ROOT}",
            f"--proto_path={gen_protos.WELL_KNOWN_TYPES_INCLUDE}",
            f"--descriptor_set_out={output}",
            "--include_source_info",
            *sources,
        ]
    )
    assert exit_code == 0, "protoc failed on protos/"
    return list(descriptor_pb2.FileDescriptorSet.FromString(output.read_bytes()).file)
