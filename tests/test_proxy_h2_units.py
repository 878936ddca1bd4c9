"""Unit tests of the HTTP/1.1 <-> HTTP/2 header translation and the HTTP/2 settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from h2.errors import ErrorCodes

from proxy.cli import build_parser
from proxy.config import ConfigError, resolve_config
from proxy.h1h2 import (
    h2_request_headers,
    h2_response_headers,
    has_token,
    header_list_size,
    request_from_h2,
    response_from_h2,
    trailer_fields,
)
from proxy.h2conn import error_name
from proxy.pipeline import ResponseHead
from tls import alpn_protocols


def test_h2_request_becomes_an_h1_style_head() -> None:
    block = [
        (b":method", b"POST"),
        (b":scheme", b"https"),
        (b":authority", b"api.anthropic.com"),
        (b":path", b"/v1/messages?beta=true"),
        (b"content-type", b"application/json"),
        (b"te", b"trailers"),
        (b"cookie", b"a=1; b=2"),
    ]
    req = request_from_h2(block)
    assert req.method == b"POST"
    assert req.target == b"/v1/messages?beta=true"
    assert req.headers[0] == (b"host", b"api.anthropic.com")
    assert (b"te", b"trailers") in req.headers
    assert not any(name.startswith(b":") for name, _ in req.headers)


def test_host_header_stands_in_for_a_missing_authority() -> None:
    req = request_from_h2([(b":method", b"GET"), (b":path", b"/"), (b"host", b"h.example")])
    assert req.authority == b"h.example"
    assert req.headers == [(b"host", b"h.example")]


def test_h1_style_head_becomes_an_h2_request() -> None:
    headers = [
        (b"host", b"api.anthropic.com"),
        (b"connection", b"keep-alive, x-hop"),
        (b"keep-alive", b"timeout=5"),
        (b"x-hop", b"1"),
        (b"transfer-encoding", b"chunked"),
        (b"upgrade", b"h2c"),
        (b"proxy-authorization", b"Basic x"),
        (b"te", b"trailers, deflate"),
        (b"content-length", b"12"),
        (b"x-api-key", b"k"),
    ]
    block = h2_request_headers(b"POST", b"/v1/messages", b"https", headers)
    assert block[:4] == [
        (b":method", b"POST"),
        (b":scheme", b"https"),
        (b":authority", b"api.anthropic.com"),
        (b":path", b"/v1/messages"),
    ]
    assert block[4:] == [(b"content-length", b"12"), (b"x-api-key", b"k"), (b"te", b"trailers")]


def test_te_without_trailers_is_dropped() -> None:
    block = h2_request_headers(b"GET", b"/", b"https", [(b"host", b"h"), (b"te", b"gzip")])
    assert all(name != b"te" for name, _ in block)


def test_responses_both_ways() -> None:
    head = response_from_h2(
        [(b":status", b"404"), (b"content-type", b"application/json"), (b"connection", b"x")]
    )
    assert (head.status, head.reason) == (404, b"Not Found")
    assert head.headers == [(b"content-type", b"application/json")]
    h1 = ResponseHead(
        200,
        [(b"content-type", b"text/event-stream"), (b"transfer-encoding", b"chunked")],
        b"OK",
    )
    assert h2_response_headers(h1) == [
        (b":status", b"200"),
        (b"content-type", b"text/event-stream"),
    ]


def test_trailers_lose_pseudo_and_hop_by_hop_fields() -> None:
    fields = [(b":status", b"200"), (b"x-checksum", b"abc"), (b"connection", b"close")]
    assert trailer_fields(fields) == [(b"x-checksum", b"abc")]


def test_token_lists() -> None:
    assert has_token([(b"te", b"deflate, Trailers;q=1")], b"te", b"trailers")
    assert not has_token([(b"te", b"deflate")], b"te", b"trailers")
    assert header_list_size([(b"ab", b"cde")]) == 37


def test_error_names() -> None:
    assert error_name(ErrorCodes.PROTOCOL_ERROR) == "PROTOCOL_ERROR"
    assert error_name(0xFF) == "0xff"


def test_http2_flag_and_settings(tmp_path: Path) -> None:
    assert resolve_config(None, {}, search_default=False).http2 is True
    args = build_parser().parse_args(["run", "--no-http2", "--max-concurrent-streams", "8"])
    assert args.http2 is False and args.max_concurrent_streams == 8
    off = resolve_config(None, {"http2": False, "max_concurrent_streams": 8}, search_default=False)
    assert off.http2 is False and off.limits.max_concurrent_streams == 8
    cfg = tmp_path / "c.toml"
    cfg.write_text("[proxy]\nhttp2 = false\n[limits]\nmax_concurrent_streams = 3\n")
    from_file = resolve_config(cfg, {}, search_default=False)
    assert from_file.http2 is False and from_file.limits.max_concurrent_streams == 3
    cfg.write_text('[proxy]\nhttp2 = "yes"\n')
    with pytest.raises(ConfigError, match="http2"):
        resolve_config(cfg, {}, search_default=False)
    with pytest.raises(ConfigError, match="max-concurrent-streams"):
        resolve_config(None, {"max_concurrent_streams": 0}, search_default=False)
    assert alpn_protocols(off.http2) == ["http/1.1"]
    assert alpn_protocols(True) == ["h2", "http/1.1"]
