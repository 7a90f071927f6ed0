"""The contracts: generated code is fresh, and the protos keep the Buf style rules."""

from __future__ import annotations

import filecmp
import re
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf.descriptor import EnumDescriptor, FileDescriptor

from personamesh.v1 import (
    abi_service_pb2,
    embedding_index_service_pb2,
    gateway_service_pb2,
    persona_pb2,
    persona_service_pb2,
)

ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "protos" / "personamesh" / "v1"
GENERATED = ROOT / "build" / "gen" / "personamesh" / "v1"
FILES: list[FileDescriptor] = [
    m.DESCRIPTOR
    for m in (persona_pb2, persona_service_pb2, abi_service_pb2, embedding_index_service_pb2, gateway_service_pb2)
]


def test_every_proto_file_is_imported_by_this_test() -> None:
    assert {Path(f.name).name for f in FILES} == {p.name for p in PROTO_DIR.glob("*.proto")}


def test_generated_code_matches_the_protos(tmp_path: Path) -> None:
    """Stale generated code cannot pass: regenerate into a temp dir and compare byte for byte."""
    protos = sorted(str(p.relative_to(ROOT / "protos")) for p in PROTO_DIR.glob("*.proto"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{ROOT / 'protos'}",
            f"--python_out={tmp_path}",
            f"--grpc_python_out={tmp_path}",
            *protos,
        ],
        check=True,
        cwd=ROOT / "protos",
    )
    fresh = tmp_path / "personamesh" / "v1"
    names = sorted(p.name for p in fresh.glob("*.py"))
    assert names, "protoc produced nothing"
    _, mismatch, missing = filecmp.cmpfiles(fresh, GENERATED, names, shallow=False)
    assert not mismatch and not missing, f"stale generated code: {mismatch + missing}; run `make protos`"


def test_package_and_file_names_follow_buf_style() -> None:
    for file in FILES:
        assert file.package == "personamesh.v1"
        assert re.fullmatch(r"personamesh/v1/[a-z][a-z0-9_]*\.proto", file.name), file.name


def _enums(file: FileDescriptor) -> list[EnumDescriptor]:
    nested = [e for m in file.message_types_by_name.values() for e in m.enum_types]
    return [*file.enum_types_by_name.values(), *nested]


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.name)
def test_enums_are_prefixed_and_start_unspecified(file: FileDescriptor) -> None:
    for enum in _enums(file):
        prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"
        assert enum.values[0].number == 0 and enum.values[0].name == prefix + "UNSPECIFIED", enum.full_name
        for value in enum.values:
            assert value.name.startswith(prefix), f"{enum.full_name}.{value.name} lacks prefix {prefix}"


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.name)
def test_field_and_message_names(file: FileDescriptor) -> None:
    for message in file.message_types_by_name.values():
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", message.name), message.full_name
        for field in message.fields:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", field.name), f"{message.full_name}.{field.name}"


def test_every_service_named_in_the_design_exists() -> None:
    services = {s.full_name: {m.name for m in s.methods} for f in FILES for s in f.services_by_name.values()}
    assert {"Chat", "ChatStream"} <= services["personamesh.v1.PersonaService"]
    assert {"Route", "AnalyzeSentiment", "CheckPolicy", "GetRules", "ValidateRules", "ReplaceRules"} <= services[
        "personamesh.v1.AbiService"
    ]
    assert {
        "Embed",
        "FindBestPersona",
        "StoreConversation",
        "SearchConversations",
        "DeleteUserData",
        "UpsertKnowledge",
        "SearchKnowledge",
        "RecordOutcome",
        "GetWeights",
    } <= services["personamesh.v1.EmbeddingIndexService"]
    assert {"Chat", "ChatStream", "Route", "ListPersonas", "GetMetrics", "Feedback"} <= services[
        "personamesh.v1.GatewayService"
    ]
