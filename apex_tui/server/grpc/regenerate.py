"""Regenerate the committed protobuf/gRPC Python from ``proto/apex/v1/apex.proto``:

    python -m apex_tui.server.grpc.regenerate          # rewrite generated/
    python -m apex_tui.server.grpc.regenerate --check  # exit 1 if generated/ is stale

Needs ``grpcio-tools`` (the dev extra has it). Use one whose bundled protoc is no newer than
the protobuf runtime the ``grpc`` extra allows (``protobuf>=5.29,<6``: grpcio-tools 1.71.x),
because generated code refuses a runtime older than the compiler that wrote it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROTO_ROOT = HERE / "proto"
PROTO_FILE = "apex/v1/apex.proto"
OUT_DIR = HERE / "generated"
FILES = ("apex_pb2.py", "apex_pb2.pyi", "apex_pb2_grpc.py")
_PROTOC_IMPORT = "from apex.v1 import apex_pb2 as"
_PACKAGE_IMPORT = "from apex_tui.server.grpc.generated import apex_pb2 as"
_PROTOC_DOCSTRING = '"""Client and server classes corresponding to protobuf-defined services."""'
_OUR_DOCSTRING = (
    '"""Client and server classes corresponding to protobuf-defined services.\n\n'
    "Written by protoc (python -m apex_tui.server.grpc.regenerate), not by hand: over 400 lines\n"
    "because it holds a stub method, a servicer method and a handler entry for each of the\n"
    'service\'s 16 methods.\n"""'
)


def generate() -> dict[str, str]:
    """Run protoc (from grpcio-tools) and return {file name: text} for :data:`FILES`."""
    try:
        from grpc_tools import protoc
    except ImportError:
        raise SystemExit(
            "grpcio-tools is not installed: pip install 'grpcio-tools>=1.70,<1.72'"
        ) from None
    import importlib.resources

    well_known = str(importlib.resources.files("grpc_tools") / "_proto")
    with tempfile.TemporaryDirectory() as tmp:
        code = protoc.main(
            [
                "grpc_tools.protoc",
                f"-I{PROTO_ROOT}",
                f"-I{well_known}",
                f"--python_out={tmp}",
                f"--pyi_out={tmp}",
                f"--grpc_python_out={tmp}",
                PROTO_FILE,
            ]
        )
        if code != 0:
            raise SystemExit(f"protoc failed (exit {code}) on {PROTO_ROOT / PROTO_FILE}")
        out = Path(tmp) / "apex" / "v1"
        texts = {name: (out / name).read_text(encoding="utf-8") for name in FILES}
    grpc_text = texts["apex_pb2_grpc.py"]
    if _PROTOC_IMPORT not in grpc_text:
        raise SystemExit("protoc's apex_pb2_grpc.py no longer imports apex_pb2 as expected")
    if _PROTOC_DOCSTRING not in grpc_text:
        raise SystemExit("protoc's apex_pb2_grpc.py no longer opens with the docstring expected")
    # protoc writes the import as the proto's path; ours lives inside the package.
    grpc_text = grpc_text.replace(_PROTOC_IMPORT, _PACKAGE_IMPORT)
    texts["apex_pb2_grpc.py"] = grpc_text.replace(_PROTOC_DOCSTRING, _OUR_DOCSTRING, 1)
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apex_tui.server.grpc.regenerate")
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    texts = generate()
    stale = [
        name
        for name, text in texts.items()
        if not (OUT_DIR / name).exists() or (OUT_DIR / name).read_text(encoding="utf-8") != text
    ]
    if args.check:
        if stale:
            print(f"stale generated files: {', '.join(stale)}; run {parser.prog}", file=sys.stderr)
            return 1
        return 0
    OUT_DIR.mkdir(exist_ok=True)
    for name in stale:
        (OUT_DIR / name).write_text(texts[name], encoding="utf-8")
    print(f"regenerated {len(stale)} file(s) in {OUT_DIR}" if stale else "up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
