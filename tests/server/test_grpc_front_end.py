"""The gRPC front end's own rules (issue 16), driven in-process with the project's generated
stub: the proto against the reference and the SDK, deadlines, size limits, gzip, the stream
limit, shutdown, and that nothing loads grpc unless asked."""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

grpc = pytest.importorskip("grpc")

from apex_tui.api.models import METHODS, STREAMING_METHODS  # noqa: E402
from apex_tui.api.protocol import CODES  # noqa: E402
from apex_tui.server.cli import serve_main  # noqa: E402
from apex_tui.server.embedded import EmbeddedServer  # noqa: E402
from apex_tui.server.grpc.generated import apex_pb2, apex_pb2_grpc  # noqa: E402
from apex_tui.server.grpc.service import status_code  # noqa: E402

from .conftest import fast_options  # noqa: E402

AUTH = [("authorization", "Bearer front-end-key")]


def _request(prompt: str, **fields: Any) -> Any:
    return apex_pb2.ChatCompletionRequest(
        messages=[apex_pb2.ChatMessage(role="user", content=prompt)], **fields
    )


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """Streams at 40 tokens/s (a long answer takes seconds); at most one open stream."""
    options = fast_options(
        tmp_path, grpc_port=0, tokens_per_second=40, max_concurrent_streams=1, max_body_bytes=65536
    )
    with EmbeddedServer(options) as running:
        yield running


@pytest.fixture
def stub(slow: EmbeddedServer) -> Iterator[Any]:
    assert slow.grpc_address is not None
    with grpc.insecure_channel(slow.grpc_address) as channel:
        yield apex_pb2_grpc.ApexServiceStub(channel)


def _until(condition: Any, what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


# --- the proto ----------------------------------------------------------------------------------


def test_the_proto_declares_the_service_the_wire_models_implement() -> None:
    service = apex_pb2.DESCRIPTOR.services_by_name["ApexService"]
    assert apex_pb2.DESCRIPTOR.package == "apex.v1"
    assert [m.name for m in service.methods] == list(METHODS)
    for method in service.methods:
        request, reply = METHODS[method.name]
        assert method.server_streaming == (method.name in STREAMING_METHODS)
        assert not method.client_streaming
        expected_in = "google.protobuf.Empty" if request.__name__ == "Empty" else request.__name__
        assert method.input_type.full_name.removeprefix("apex.v1.") == expected_in
        assert method.output_type.name == reply.__name__


def test_the_proto_compiles_to_the_sdks_descriptor_byte_for_byte() -> None:
    """Field numbers, names, kinds and presence all equal the SDK's (what users run); that is
    also what lets the SDK's generated code and ours share one process."""
    sdk = pytest.importorskip("macrocosmos.generated.apex.v1.apex_pb2")
    assert apex_pb2.DESCRIPTOR.serialized_pb == sdk.DESCRIPTOR.serialized_pb


def test_the_committed_code_is_what_the_one_command_generates() -> None:
    pytest.importorskip("grpc_tools")
    from apex_tui.server.grpc.regenerate import main

    assert main(["--check"]) == 0


def test_status_codes_keep_the_connect_names() -> None:
    for code in CODES:
        expected = "cancelled" if code == "canceled" else code
        assert status_code(code).name.lower() == expected


# --- deadlines, bounds, gzip --------------------------------------------------------------------


def test_a_deadline_ends_the_stream_on_the_server_too(slow: EmbeddedServer, stub: Any) -> None:
    replies = stub.ChatCompletionStream(
        _request("Explain the Rust borrow checker in depth", seed=1), metadata=AUTH, timeout=0.5
    )
    with pytest.raises(grpc.RpcError) as late:
        for _ in replies:
            pass
    assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    _until(lambda: slow.state.active_streams == 0, "the server stopped streaming")


def test_requests_past_the_size_limit_are_refused_plain_or_gzipped(stub: Any) -> None:
    big = _request("x" * 70_000)  # over the 64 KiB limit once decompressed
    for compression in (grpc.Compression.NoCompression, grpc.Compression.Gzip):
        with pytest.raises(grpc.RpcError) as refused:
            stub.ChatCompletion(big, metadata=AUTH, compression=compression, timeout=30)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert len(gzip.compress(big.SerializeToString())) < 1000  # it was small on the wire
    fits = _request("tell me about sqlite " * 2000, sampling_parameters={"max_new_tokens": 20})
    answer = stub.ChatCompletion(fits, metadata=AUTH, compression=grpc.Compression.Gzip)
    assert answer.choices[0].message.content


def test_the_open_stream_limit_is_shared_with_connect(slow: EmbeddedServer, stub: Any) -> None:
    first = stub.ChatCompletionStream(_request("a long answer please"), metadata=AUTH, timeout=30)
    next(first)  # open and streaming
    with pytest.raises(grpc.RpcError) as second:
        list(stub.ChatCompletionStream(_request("another"), metadata=AUTH, timeout=30))
    assert second.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    first.cancel()
    _until(lambda: slow.state.active_streams == 0, "the cancelled stream was let go")


def test_shutdown_ends_an_open_stream_with_unavailable(slow: EmbeddedServer, stub: Any) -> None:
    replies = stub.ChatCompletionStream(
        _request("Explain Bittensor subnets in depth"), metadata=AUTH, timeout=30
    )
    assert next(replies).choices[0].delta.role == "assistant"
    stopper = threading.Thread(target=slow.stop)
    stopper.start()
    with pytest.raises(grpc.RpcError) as ended:
        for _ in replies:
            pass
    stopper.join(30)
    assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "server shutting down" in ended.value.details()


# --- starting ------------------------------------------------------------------------------------


def test_a_busy_grpc_port_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        argv = ["--port", "0", "--grpc-port", str(port), "--db", str(tmp_path / "a.db")]
        assert serve_main(argv) == 2
    err = capsys.readouterr().err
    assert f"cannot listen for gRPC on 127.0.0.1:{port}" in err
    assert "pick another --grpc-port" in err


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


def test_without_the_extra_serve_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['grpc'] = None\n"  # as if grpcio were not installed
        "from apex_tui.server.cli import serve_main\n"
        "sys.exit(serve_main(sys.argv[1:]))"
    )
    done = _python(code, "--port", "0", "--grpc-port", "0", "--db", str(tmp_path / "a.db"))
    assert done.returncode == 2
    assert "gRPC needs the optional packages grpcio and protobuf" in done.stderr
    assert "pip install 'apex-tui[grpc]'" in done.stderr
    assert not (tmp_path / "a.db").exists()  # refused before anything was opened


def test_a_server_without_grpc_never_imports_it(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from apex_tui.server.cli import build_parser\n"
        "from apex_tui.server.embedded import EmbeddedServer, ServerOptions\n"
        f"with EmbeddedServer(ServerOptions(db_path={str(tmp_path / 'a.db')!r})) as s:\n"
        "    assert s.grpc_address is None\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('grpc', 'google')]\n"
        "print(loaded[:5]); sys.exit(1 if loaded else 0)"
    )
    done = _python(code)
    assert done.returncode == 0, done.stdout + done.stderr


# --- conversion ----------------------------------------------------------------------------------


def test_requests_keep_presence_int64_and_struct_values() -> None:
    from apex_tui.server.grpc.convert import request_from_proto

    request = _request("hi", seed=2**40, stream=False, sampling_parameters={"top_k": 50.0})
    model = request_from_proto("ChatCompletion", request)
    assert model.seed == 2**40 and model.stream is False  # set to false is not unset
    assert model.mixture is None and model.sampling_parameters.top_k == 50.0
    update = apex_pb2.UpdateCompletionAttributesRequest(completion_id="c1")
    update.metadata.update({"n": 3, "half": 0.5, "big": 1e300, "list": [1, "a", None]})
    meta = request_from_proto("UpdateCompletionAttributes", update).metadata
    assert meta == {"n": 3, "half": 0.5, "big": 1e300, "list": [1, "a", None]}
    assert type(meta["n"]) is int and type(meta["big"]) is float
    assert request_from_proto("UpdateCompletionAttributes", update).completion_text is None


def test_the_fast_reply_paths_build_what_parsedict_builds() -> None:
    from google.protobuf import json_format

    from apex_tui.api import models as m
    from apex_tui.server.codec import PreEncoded, chunk_wire
    from apex_tui.server.grpc.convert import chunk_to_proto, reply_to_proto

    def parsed(data: dict[str, Any], message: Any) -> Any:
        json_format.ParseDict(data, message, ignore_unknown_fields=True)
        return message

    usage = m.CompletionUsage(prompt_tokens=3, completion_tokens=4, total_tokens=7)
    for delta, finish, extra in (
        (m.ChoiceDelta(content="Hel", role="assistant"), "", None),
        (m.ChoiceDelta(content="lo"), "", None),
        (m.ChoiceDelta(), "stop", usage),
    ):
        chunk = m.ChatCompletionChunkResponse(
            id="x", created=17, model="m", object="chat.completion.chunk", usage=extra,
            choices=[m.ChunkChoice(delta=delta, finish_reason=finish)],
        )  # fmt: skip
        expected = parsed(chunk_wire(chunk), apex_pb2.ChatCompletionChunkResponse())
        assert chunk_to_proto(chunk) == expected
    rows = [
        {"id": "a", "title": "t", "chatType": "apex", "createdAt": "2025-01-02T03:04:05Z"},
        {"id": "b", "userId": "u", "createdAt": "2025-01-02T03:04:05.120Z"},
        {"id": "c", "updatedAt": "2025-01-02T03:04:05.123456+02:00"},
        {"id": "d", "unexpected": 1, "createdAt": "2025-01-02T03:04:05Z"},  # ParseDict's turn
    ]
    for data in ({"chatSessions": rows[:3]}, {"chatSessions": rows}, {}):
        reply = PreEncoded(raw=json.dumps(data).encode())
        expected = parsed(data, apex_pb2.GetChatSessionsResponse())
        assert reply_to_proto("GetChatSessions", reply) == expected
