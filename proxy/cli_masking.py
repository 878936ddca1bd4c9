"""`maskproxy mask`, `unmask` and `scan`: the masking engine on files and pipes.

``mask`` streams stdin to stdout through the same engine the proxy uses; ``--map-out`` saves
the surrogate map (it holds the originals: written mode 0600) so that ``unmask --map`` can
restore a later text. ``scan`` reports findings as type, offset and length — never the value —
and exits 1 when it found something, which makes it a pre-commit hook.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import BinaryIO

from masking.anthropic_request import MessagesRequestPolicy
from masking.anthropic_response import escaped_index
from masking.exchange_map import ExchangeMap
from masking.json_tracker import JsonPolicy, JsonSyntaxError, JsonTracker
from masking.keyfile import KeyFileError, load_or_create_key
from masking.stream_masker import StreamMasker
from masking.stream_unmasker import StreamUnmasker, SurrogateIndex
from masking.surrogate import SurrogateMaker
from proxy.masking_pipeline import build_scanner

_CHUNK = 1 << 16


def register(sub: argparse._SubParsersAction) -> None:
    """Add the masking subcommands to the top-level parser's subcommands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--format",
        choices=("auto", "json", "text"),
        default="auto",
        help="json: mask string contents only and fail on invalid JSON; text: mask anywhere; "
        "auto (default): json when the whole input parses as JSON, else text",
    )
    common.add_argument("--config", type=Path, help="config file with a [masking] table")
    common.add_argument("--state-dir", type=Path, help="directory holding the masking key")

    p = sub.add_parser(
        "mask",
        parents=[common],
        help="mask stdin to stdout",
        description="Mask sensitive values in stdin and write the result to stdout. The output "
        "has the same length; surrogates are keyed by the key in the state dir.",
    )
    p.add_argument("--map-out", type=Path, help="write the surrogate map here (mode 0600)")
    p.set_defaults(func=_cmd_mask)

    p = sub.add_parser(
        "unmask",
        parents=[common],
        help="restore originals in stdin using a saved map",
        description="Restore the originals of the surrogates in stdin, using a map written by "
        "`maskproxy mask --map-out`. Only surrogates in that map are restored.",
    )
    p.add_argument("--map", type=Path, required=True, help="map written by mask --map-out")
    p.set_defaults(func=_cmd_unmask)

    p = sub.add_parser(
        "scan",
        parents=[common],
        help="report sensitive values (type, offset, length) without printing them",
        description="Scan files (or stdin) and print one line per finding: "
        "path:offset:length:type. Values are never printed. Exit status 1 when something "
        "was found, 0 when nothing was, 2 on errors.",
    )
    p.add_argument("files", nargs="*", type=Path, help="files to scan (default: stdin)")
    p.add_argument("--json", action="store_true", help="print findings as JSON lines")
    p.set_defaults(func=_cmd_scan)


# -- shared set-up ----------------------------------------------------------------------------


def _state_dir(args: argparse.Namespace) -> Path:
    if args.state_dir is not None:
        return args.state_dir
    from proxy.config import default_state_dir

    return default_state_dir()


def _scanner(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    return build_scanner(_masking_table(args))


def _masking_table(args: argparse.Namespace) -> dict:
    if args.config is None:
        return {}
    from proxy.config import read_config_file

    return dict(read_config_file(args.config).get("masking", {}))


def _choose_policy(data: bytes, fmt: str) -> JsonPolicy | None:
    """The JSON policy for ``data``, or None for text."""
    if fmt == "text":
        return None
    if fmt == "auto":
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(doc, (dict, list)):
            return None
        if isinstance(doc, dict) and "messages" in doc:
            return MessagesRequestPolicy()
        return JsonPolicy()
    return MessagesRequestPolicy() if data.lstrip()[:1] == b"{" else JsonPolicy()


def _fail(message: str) -> int:
    print(f"maskproxy: {message}", file=sys.stderr)
    return 2


# -- mask -------------------------------------------------------------------------------------


def _cmd_mask(args: argparse.Namespace) -> int:
    try:
        maker = SurrogateMaker(load_or_create_key(_state_dir(args)))
        scanner = _scanner(args)
    except (KeyFileError, OSError, ValueError) as exc:
        return _fail(str(exc))
    data = sys.stdin.buffer.read()
    policy = _choose_policy(data, args.format)
    exchange_map = ExchangeMap(maker)
    masker = StreamMasker(scanner, exchange_map, JsonTracker(policy) if policy else None)
    out = sys.stdout.buffer
    try:
        for i in range(0, len(data), _CHUNK):
            out.write(masker.feed(data[i : i + _CHUNK]))
        out.write(masker.finish())
    except JsonSyntaxError as exc:
        return _fail(f"{exc} (use --format text to mask it as text)")
    out.flush()
    if args.map_out is not None:
        _write_map(args.map_out, exchange_map.by_surrogate, exchange_map.glue)
    counts = ", ".join(f"{t}={n}" for t, n in sorted(masker.counts.items()))
    if counts and os.environ.get("MASKPROXY_QUIET") != "1":
        print(f"maskproxy: masked {counts}", file=sys.stderr)
    return 0


def _write_map(path: Path, pairs: dict[bytes, bytes], glue: set[bytes]) -> None:
    doc = {
        "version": 1,
        "pairs": [
            [s.decode("utf-8", "surrogatepass"), o.decode("utf-8", "surrogatepass")]
            for s, o in pairs.items()
        ],
        # the bytes before values glued to a token prefix (``AKIA``): where a surrogate may be
        # restored right after letters or digits
        "glue": sorted(g.decode("utf-8", "surrogatepass") for g in glue),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f)


def _read_map(path: Path) -> tuple[dict[bytes, bytes], list[bytes]]:
    doc = json.loads(path.read_text())
    if not isinstance(doc, dict) or doc.get("version") != 1:
        raise ValueError(f"{path} is not a maskproxy map (version 1)")
    pairs = {
        s.encode("utf-8", "surrogatepass"): o.encode("utf-8", "surrogatepass")
        for s, o in doc["pairs"]
    }
    return pairs, [g.encode("utf-8", "surrogatepass") for g in doc.get("glue", [])]


# -- unmask -----------------------------------------------------------------------------------


def _cmd_unmask(args: argparse.Namespace) -> int:
    try:
        pairs, glue = _read_map(args.map)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return _fail(f"cannot read map {args.map}: {exc}")
    data = sys.stdin.buffer.read()
    as_json = _choose_policy(data, args.format) is not None
    index = escaped_index(pairs, glue) if as_json else SurrogateIndex(pairs, glue)
    un = StreamUnmasker(index)
    out = sys.stdout.buffer
    for i in range(0, len(data), _CHUNK):
        out.write(un.feed(data[i : i + _CHUNK]))
    out.write(un.finish())
    out.flush()
    return 0


# -- scan -------------------------------------------------------------------------------------


def _cmd_scan(args: argparse.Namespace) -> int:
    try:
        scanner = _scanner(args)
    except (OSError, ValueError) as exc:
        return _fail(str(exc))
    found = 0
    sources: list[tuple[str, BinaryIO | Path]] = (
        [(str(p), p) for p in args.files] if args.files else [("-", sys.stdin.buffer)]
    )
    for name, src in sources:
        try:
            data = src.read_bytes() if isinstance(src, Path) else src.read()
        except OSError as exc:
            return _fail(f"cannot read {name}: {exc.strerror}")
        findings, _ = scanner.scan(data)
        policy = _choose_policy(data, args.format)
        if policy is not None:
            findings = _outside_opaque(data, policy, findings)
        for f in findings:
            found += 1
            if args.json:
                line = json.dumps(
                    {"path": name, "offset": f.start, "length": f.end - f.start, "type": f.rtype}
                )
            else:
                line = f"{name}:{f.start}:{f.end - f.start}:{f.rtype}"
            print(line)
    return 1 if found else 0


def _outside_opaque(data: bytes, policy: JsonPolicy, findings: list) -> list:
    tracker = JsonTracker(policy)
    try:
        tracker.feed(data)
        tracker.finish()
    except JsonSyntaxError:
        return findings
    return [f for f in findings if not tracker.opaque_within(f.start, f.end)]
