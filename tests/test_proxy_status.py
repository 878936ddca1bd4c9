"""The status canary and the metrics endpoint: answered by the proxy itself, counts only.

Playbooks (no socket) check the contract over both adapters; the real process checks it
through curl, in forward and gateway mode, and the Prometheus listener.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from pathlib import Path

import pytest
from conftest import API_HOST, StartProxy, routing_args
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from support.clients import curl
from support.playbook import Playbook, Request, UpstreamSaw, json_reply
from support.ports import free_port
from support.testca import TestCA
from support.upstream import FakeUpstream

from proxy.masking_pipeline import build_masking_pipeline
from proxy.status import STATUS_PATH, Counters, StatusReport, is_status_request
from proxy.upstream import UpstreamEvent

KEYS = {"service", "version", "uptime_seconds", "intercept", "exchanges", "masked", "ca_sha256"}


def _never(saw: UpstreamSaw) -> list[UpstreamEvent]:
    raise AssertionError("the canary reached the upstream")


@pytest.mark.parametrize("protocol", ["h1", "h2"])
def test_the_canary_is_answered_by_the_proxy_with_counts_only(
    tmp_path: Path, protocol: str
) -> None:
    counters = Counters()
    report = StatusReport(counters, ("api.anthropic.com",), b"der bytes")
    play = Playbook(build_masking_pipeline({}, tmp_path), status=report)
    iid = "i-0" + secrets.token_hex(8)
    body = json.dumps({"messages": [{"role": "user", "content": f"stop {iid}"}]}).encode()
    masked = asyncio.run(play.exchange(protocol, Request(body), lambda saw: json_reply(b"{}")))
    counters.record(masked.records[0])
    seen = asyncio.run(
        play.exchange(protocol, Request(method=b"GET", path=STATUS_PATH + b"?x=1"), _never)
    )
    assert seen.upstream is None
    assert seen.client.status == 200
    assert dict(seen.client.headers)[b"content-type"] == b"application/json"
    doc = json.loads(seen.client.body)
    assert set(doc) == KEYS
    assert doc["service"] == "maskproxy"
    assert doc["intercept"] == ["api.anthropic.com"]
    assert doc["exchanges"] == 1
    assert doc["masked"] == {"aws_ec2_instance_id": 1}
    assert doc["ca_sha256"] == hashlib.sha256(b"der bytes").hexdigest()
    assert iid not in seen.client.body.decode()
    assert seen.records == []  # the canary is not counted as an exchange


def test_only_a_get_of_the_exact_path_is_the_canary() -> None:
    assert is_status_request(b"GET", STATUS_PATH)
    assert is_status_request(b"GET", b"http://api.anthropic.com" + STATUS_PATH)
    assert not is_status_request(b"POST", STATUS_PATH)
    assert not is_status_request(b"GET", STATUS_PATH + b"/x")
    assert not is_status_request(b"GET", b"/v1" + STATUS_PATH)


def _ca_sha256(path: Path) -> str:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_canary_and_metrics_through_the_running_proxy(
    start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    metrics_port = free_port()
    p = start_proxy(
        [
            "--metrics-listen",
            f"127.0.0.1:{metrics_port}",
            *routing_args(test_ca, (API_HOST, upstream)),
        ]
    )
    iid = "i-0" + secrets.token_hex(8)
    res = curl(
        "-x", p.url, "--cacert", str(p.ca_path), "-H", "content-type: application/json",
        "--data-binary", json.dumps({"messages": [{"role": "user", "content": f"stop {iid}"}]}),
        f"https://{API_HOST}/v1/messages",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    res = curl("-x", p.url, "--cacert", str(p.ca_path), f"https://{API_HOST}{STATUS_PATH.decode()}")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert set(doc) == KEYS
    assert doc["exchanges"] == 1
    assert doc["masked"] == {"aws_ec2_instance_id": 1}
    assert doc["ca_sha256"] == _ca_sha256(p.ca_path)
    assert len(upstream.requests) == 1  # the canary never left
    res = curl(f"http://127.0.0.1:{metrics_port}/metrics")
    assert res.returncode == 0, res.stderr
    text = res.stdout.decode()
    assert "maskproxy_exchanges_total 1" in text
    assert 'maskproxy_masked_values_total{type="aws_ec2_instance_id"} 1' in text
    assert iid not in text and iid not in p.log()
    res = curl("-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{metrics_port}/other")
    assert res.stdout == b"404"


def test_canary_in_gateway_mode(
    start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    p = start_proxy(
        ["--gateway", f"https://{API_HOST}/base/", *routing_args(test_ca, (API_HOST, upstream))]
    )
    res = curl(f"{p.url}{STATUS_PATH.decode()}")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["intercept"] == [API_HOST]
    assert doc["ca_sha256"] is None
    assert upstream.requests == []


def test_metrics_listen_from_the_config_file(tmp_path: Path) -> None:
    from proxy.config import ConfigError, resolve_config

    cfg = tmp_path / "config.toml"
    cfg.write_text('[proxy]\nmetrics_listen = "127.0.0.1:9109"\n')
    assert resolve_config(cfg, {}).metrics_listen == "127.0.0.1:9109"
    assert resolve_config(None, {}, search_default=False).metrics_listen is None
    cfg.write_text('[proxy]\nmetrics_listen = "9109"\n')
    with pytest.raises(ConfigError, match="listen"):
        resolve_config(cfg, {})
