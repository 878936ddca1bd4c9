"""`maskproxy mask`, `unmask` and `scan`: the masking engine on files and pipes.

``mask`` masks stdin (or files) to stdout through the same engine the proxy uses;
``--map-out`` saves the surrogate map (it holds the originals: written mode 0600) so that
``unmask --map`` can restore a later text. ``scan`` reports findings as path, line, column and
type — never the value — and exits 1 when it found something, which makes it a pre-commit
hook. ``types`` lists every type the engine knows. All of them read the same config file as
``run`` (user terms, allowlist, disabled types).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import BinaryIO

from masking import _core
from masking.engine import Engine, Refused, types
from masking.keyfile import KeyFileError
from proxy.config import ConfigError


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
        help="mask files or stdin to stdout",
        description="Mask sensitive values in the files (or stdin) and write the result to "
        "stdout. The output has the same length; surrogates are keyed by the key in the state "
        "dir. A value recognized anywhere in the input is masked at every occurrence.",
    )
    p.add_argument("files", nargs="*", type=Path, help="files to mask (default: stdin)")
    p.add_argument("--map-out", type=Path, help="write the surrogate map here (mode 0600)")
    p.set_defaults(func=_cmd_mask)

    p = sub.add_parser(
        "unmask",
        parents=[common],
        help="restore originals in files or stdin using a saved map",
        description="Restore the originals of the surrogates in the files (or stdin), using a "
        "map written by `maskproxy mask --map-out`. Only surrogates in that map are restored.",
    )
    p.add_argument("files", nargs="*", type=Path, help="files to restore (default: stdin)")
    p.add_argument("--map", type=Path, required=True, help="map written by mask --map-out")
    p.set_defaults(func=_cmd_unmask)

    p = sub.add_parser(
        "scan",
        parents=[common],
        help="report sensitive values (path, line, column, type) without printing them",
        description="Scan files (or stdin) and print one line per finding: "
        "path:line:col:type. Values are never printed. Exit status 1 when something "
        "was found, 0 when nothing was, 2 on errors.",
    )
    p.add_argument("files", nargs="*", type=Path, help="files to scan (default: stdin)")
    p.add_argument("--json", action="store_true", help="print findings as JSON lines")
    p.set_defaults(func=_cmd_scan)

    p = sub.add_parser(
        "types",
        help="list every type of value the engine masks",
        description="List every type of value the engine masks: its name (as logs and "
        "[masking] disable use it), category, what recognizes it (format: the value "
        "identifies itself; field, sibling_key, flag, cli_column, phrase: its context) and a "
        "one-line description.",
    )
    p.set_defaults(func=_cmd_types)


# -- shared set-up ----------------------------------------------------------------------------


def _state_dir(args: argparse.Namespace) -> Path:
    if args.state_dir is not None:
        return args.state_dir
    from proxy.config import default_state_dir

    return default_state_dir()


def _masking_table(args: argparse.Namespace) -> dict:
    """The ``[masking]`` table of ``--config``, or of the default config file when it exists."""
    from proxy.config import default_config_paths, read_config_file

    path = args.config
    if path is None:
        path = next((p for p in default_config_paths() if p.is_file()), None)
        if path is None:
            return {}
    return dict(read_config_file(path).get("masking", {}))


def _engine(args: argparse.Namespace, with_key: bool = True) -> Engine:
    from masking.rules import RuleConfig

    rules = RuleConfig.from_dict(_masking_table(args))
    if not with_key:
        return Engine(b"\0" * 32, rules)  # scan replaces nothing: no key needed
    from masking.keyfile import load_or_create_key

    return Engine(load_or_create_key(_state_dir(args)), rules)


def _kind(data: bytes, fmt: str) -> str:
    """How to read ``data``: messages, json or text."""
    if fmt == "text":
        return "text"
    if fmt == "auto":
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return "text"
        if not isinstance(doc, (dict, list)):
            return "text"
        return "messages" if isinstance(doc, dict) and "messages" in doc else "json"
    return "messages" if data.lstrip()[:1] == b"{" and b'"messages"' in data else "json"


def _fail(message: str) -> int:
    print(f"maskproxy: {message}", file=sys.stderr)
    return 2


def _inputs(args: argparse.Namespace) -> list[tuple[str, BinaryIO | Path]]:
    files = getattr(args, "files", None)
    return [(str(p), p) for p in files] if files else [("-", sys.stdin.buffer)]


def _read(src: BinaryIO | Path) -> bytes:
    return src.read_bytes() if isinstance(src, Path) else src.read()


# -- mask -------------------------------------------------------------------------------------


def _cmd_mask(args: argparse.Namespace) -> int:
    try:
        engine = _engine(args)
    except (ConfigError, KeyFileError, OSError, ValueError) as exc:
        return _fail(str(exc))
    map_fd = None
    if args.map_out is not None:
        # Opened before anything is masked: a map that cannot be written is known before the
        # masked text goes out (which would be useless without it).
        try:
            map_fd = os.open(args.map_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            return _fail(f"cannot write the map to {args.map_out}: {exc.strerror}")
    try:
        return _mask_inputs(args, engine, map_fd)
    finally:
        if map_fd is not None:
            os.close(map_fd)


def _mask_inputs(args: argparse.Namespace, engine: Engine, map_fd: int | None) -> int:
    out = sys.stdout.buffer
    pairs: dict[bytes, bytes] = {}
    glue: set[bytes] = set()
    counts: dict[str, int] = {}
    for name, src in _inputs(args):
        try:
            data = _read(src)
        except OSError as exc:
            return _fail(f"cannot read {name}: {exc.strerror}")
        try:
            masker = engine.mask(data, _kind(data, args.format))
        except Refused as exc:
            return _fail(f"{name}: {exc.message} (use --format text to mask it as text)")
        out.write(masker.body or b"")
        pairs.update(masker.pairs)
        glue.update(masker.glue)
        for t, n in masker.counts.items():
            counts[t] = counts.get(t, 0) + n
    try:
        out.flush()
    except BrokenPipeError:
        return 0
    if map_fd is not None:
        try:
            _write_map(map_fd, pairs, glue)
        except OSError as exc:
            return _fail(f"cannot write the map to {args.map_out}: {exc.strerror}")
    summary = ", ".join(f"{t}={n}" for t, n in sorted(counts.items()))
    if summary and os.environ.get("MASKPROXY_QUIET") != "1":
        print(f"maskproxy: masked {summary}", file=sys.stderr)
    return 0


def _write_map(fd: int, pairs: dict[bytes, bytes], glue: set[bytes]) -> None:
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
    os.fchmod(fd, 0o600)  # an existing file keeps its mode otherwise
    data = json.dumps(doc).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_map(path: Path) -> tuple[list[tuple[bytes, bytes]], list[bytes]]:
    doc = json.loads(path.read_text())
    if not isinstance(doc, dict) or doc.get("version") != 1:
        raise ValueError(f"{path} is not a maskproxy map (version 1)")
    pairs = [
        (s.encode("utf-8", "surrogatepass"), o.encode("utf-8", "surrogatepass"))
        for s, o in doc["pairs"]
    ]
    return pairs, [g.encode("utf-8", "surrogatepass") for g in doc.get("glue", [])]


# -- unmask -----------------------------------------------------------------------------------


def _cmd_unmask(args: argparse.Namespace) -> int:
    try:
        pairs, glue = _read_map(args.map)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return _fail(f"cannot read map {args.map}: {exc}")
    exchange_map = _core.ExchangeMap.from_pairs(pairs, glue)
    out = sys.stdout.buffer
    for name, src in _inputs(args):
        try:
            data = _read(src)
        except OSError as exc:
            return _fail(f"cannot read {name}: {exc.strerror}")
        kind = "json" if _kind(data, args.format) != "text" else "text"
        un = exchange_map.unmasker(kind, 0)
        out.write(un.feed(data))
        out.write(un.finish())
    with contextlib.suppress(BrokenPipeError):
        out.flush()
    return 0


# -- scan -------------------------------------------------------------------------------------


def _line_col(data: bytes, offset: int, starts: list[int]) -> tuple[int, int]:
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def _cmd_scan(args: argparse.Namespace) -> int:
    try:
        engine = _engine(args, with_key=False)
    except (ConfigError, OSError, ValueError) as exc:
        return _fail(str(exc))
    found = 0
    for name, src in _inputs(args):
        try:
            data = _read(src)
        except OSError as exc:
            return _fail(f"cannot read {name}: {exc.strerror}")
        try:
            findings = engine.scan(data, _kind(data, args.format))
        except Refused:
            findings = engine.scan(data, "text")
        starts = [0] + [i + 1 for i in range(len(data)) if data[i] == 0x0A] if findings else [0]
        for f in findings:
            found += 1
            line, col = _line_col(data, f.start, starts)
            if args.json:
                text = json.dumps({"path": name, "line": line, "column": col, "type": f.rtype})
            else:
                text = f"{name}:{line}:{col}:{f.rtype}"
            print(text)
    return 1 if found else 0


# -- types ------------------------------------------------------------------------------------


def _cmd_types(args: argparse.Namespace) -> int:
    rows = types()
    width = max(len(t.name) for t in rows)
    cats = max(len(t.category) for t in rows)
    kinds = max(len(",".join(t.found_by)) for t in rows)
    for t in rows:
        found_by = ",".join(t.found_by)
        print(f"{t.name:<{width}}  {t.category:<{cats}}  {found_by:<{kinds}}  {t.description}")
    return 0
