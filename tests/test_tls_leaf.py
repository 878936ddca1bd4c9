"""Leaf certificates and the per-host context cache, exercised through real TLS handshakes.

Every client here verifies against ``ca.pem`` only: Python's ssl, ``openssl verify
-x509_strict``, curl and Node (the runtime of Claude Code) must all accept the leaves, and
must all refuse a certificate the CA key signs outside its name constraints.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest_tls import (
    TLSServer,
    curl_get,
    forge_leaf,
    load_ca_key,
    new_key,
    node_get,
    openssl_verify,
    pem,
    sans,
    server_context_for,
    tls_connect,
    tool,
    verifying_client,
)
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from tls import CertificateAuthority, LeafCertCache, alpn_protocols, served_hostname
from tls.ca import CLOCK_SKEW, LEAF_LIFETIME

INTERCEPT = ["api.anthropic.com", "*.corp.example.com"]
HOST = "api.anthropic.com"


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority.load_or_create(tmp_path / "state", INTERCEPT)


@pytest.fixture
def cache(ca: CertificateAuthority) -> LeafCertCache:
    return LeafCertCache(ca)


def spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# ------------------------------------------------------------------ leaf profile


def test_leaf_profile(ca: CertificateAuthority) -> None:
    key = new_key()
    before = datetime.now(UTC)
    leaf = ca.issue_leaf("API.Anthropic.com", key.public_key())
    assert leaf.subject.rfc4514_string() == "CN=api.anthropic.com"
    assert leaf.issuer == ca.cert.subject
    assert sans(leaf) == ["api.anthropic.com"]
    assert leaf.serial_number > 0
    leaf.verify_directly_issued_by(ca.cert)

    assert leaf.not_valid_before_utc <= before - CLOCK_SKEW + timedelta(seconds=5)
    assert leaf.not_valid_before_utc >= before - CLOCK_SKEW - timedelta(seconds=5)
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= LEAF_LIFETIME + CLOCK_SKEW
    assert timedelta(days=30) >= LEAF_LIFETIME

    ext = leaf.extensions
    basic = ext.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and not basic.value.ca and basic.value.path_length is None
    usage = ext.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature
    assert not usage.value.key_cert_sign and not usage.value.key_encipherment
    eku = ext.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(eku.value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not ext.get_extension_for_class(x509.SubjectAlternativeName).critical
    ski = ext.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski.digest == x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ca_ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ca_ski.digest


def test_serials_are_random(ca: CertificateAuthority) -> None:
    key = new_key().public_key()
    serials = {ca.issue_leaf(HOST, key).serial_number for _ in range(8)}
    assert len(serials) == 8


# ------------------------------------------------------------------ verifiers accept


def test_python_handshake(cache: LeafCertCache, ca: CertificateAuthority) -> None:
    with TLSServer(cache.server_context(HOST)) as server:
        result = tls_connect(server.port, verifying_client(ca.cert_path), HOST)
        served = server.wait(1)[0]
    assert served.error is None
    assert served.hostname == HOST
    assert sans(result.peer_cert) == [HOST]
    assert result.version == "TLSv1.3"
    assert result.alpn is None  # the client offered none


def test_openssl_verify_x509_strict(
    cache: LeafCertCache, ca: CertificateAuthority, tmp_path: Path
) -> None:
    if tool("openssl") is None:
        pytest.skip("openssl is not installed")
    # Verify the very certificate the server presents in a handshake.
    with TLSServer(cache.server_context(HOST)) as server:
        result = tls_connect(server.port, verifying_client(ca.cert_path), HOST)
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(pem(result.peer_cert))
    proc = openssl_verify(ca.cert_path, leaf, HOST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("OK")


def test_openssl_verify_x509_strict_long_name(ca: CertificateAuthority, tmp_path: Path) -> None:
    """A name longer than a CN can hold gets an empty subject and a critical SAN."""
    if tool("openssl") is None:
        pytest.skip("openssl is not installed")
    name = "a" * 60 + ".corp.example.com"
    leaf_cert = ca.issue_leaf(name, new_key().public_key())
    assert len(leaf_cert.subject) == 0
    assert leaf_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).critical
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(pem(leaf_cert))
    proc = openssl_verify(ca.cert_path, leaf, name)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    cache = LeafCertCache(ca)
    with TLSServer(cache.server_context(name)) as server:
        result = tls_connect(server.port, verifying_client(ca.cert_path), name)
    assert sans(result.peer_cert) == [name]


def test_curl(cache: LeafCertCache, ca: CertificateAuthority) -> None:
    curl = tool("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    with TLSServer(cache.server_context(HOST), http=True) as server:
        proc = curl_get(curl, ca.cert_path, server.port, HOST)
        served = server.wait(1)[0]
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ok"
    assert served.hostname == HOST and served.error is None


def test_node(cache: LeafCertCache, ca: CertificateAuthority) -> None:
    node = tool("node")
    if node is None:
        pytest.skip("node is not installed")
    name = "git.corp.example.com"  # through a glob, selected by SNI
    with TLSServer(cache.server_context(HOST), http=True) as server:
        proc = node_get(node, ca.cert_path, server.port, name)
        served = server.wait(1)[0]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "STATUS 200 ok"
    assert served.hostname == name


# ------------------------------------------------------------------ name constraints bite


def _forged_server(ca: CertificateAuthority, tmp_path: Path, **names: str) -> tuple[Any, Path]:
    """A plain server presenting a leaf signed with the CA key for a name outside its
    constraints, and that leaf as a PEM file."""
    leaf_key = new_key()
    leaf = forge_leaf(ca.cert, load_ca_key(ca.cert_path.parent), leaf_key, **names)
    path = tmp_path / f"forged-{leaf.serial_number:x}.pem"
    path.write_bytes(pem(leaf))
    return server_context_for(tmp_path, leaf, leaf_key), path


def test_forged_leaf_outside_constraints_is_rejected(
    ca: CertificateAuthority, tmp_path: Path
) -> None:
    # Control: the same forging path for a permitted name yields a certificate that works,
    # so the rejection below can only come from the name constraints.
    good_ctx, good_pem = _forged_server(ca, tmp_path, dns=HOST)
    with TLSServer(good_ctx) as server:
        tls_connect(server.port, verifying_client(ca.cert_path), HOST)

    evil = "evil.example.com"
    evil_ctx, evil_pem = _forged_server(ca, tmp_path, dns=evil)
    with TLSServer(evil_ctx) as server:
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            tls_connect(server.port, verifying_client(ca.cert_path), evil)
        server.wait(1)
    assert info.value.verify_code == 47  # X509_V_ERR_PERMITTED_VIOLATION
    assert "subtree violation" in info.value.verify_message

    if tool("openssl") is not None:
        assert openssl_verify(ca.cert_path, good_pem, HOST).returncode == 0
        proc = openssl_verify(ca.cert_path, evil_pem, evil)
        assert proc.returncode != 0
        assert "permitted subtree violation" in proc.stdout + proc.stderr

    node = tool("node")
    if node is not None:
        with TLSServer(evil_ctx, http=True) as server:
            proc = node_get(node, ca.cert_path, server.port, evil)
        assert proc.returncode != 0
        assert "subtree violation" in proc.stdout


def test_forged_ip_leaf_is_rejected(ca: CertificateAuthority, tmp_path: Path) -> None:
    ip_ctx, ip_pem = _forged_server(ca, tmp_path, ip="127.0.0.1")
    with TLSServer(ip_ctx) as server:
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            tls_connect(server.port, verifying_client(ca.cert_path), "127.0.0.1")
        server.wait(1)
    assert info.value.verify_code == 48  # X509_V_ERR_EXCLUDED_VIOLATION
    if tool("openssl") is not None:
        proc = openssl_verify(ca.cert_path, ip_pem, None)
        assert proc.returncode != 0
        assert "excluded subtree violation" in proc.stdout + proc.stderr


# ------------------------------------------------------------------ SNI selection


def test_sni_selects_the_leaf(cache: LeafCertCache, ca: CertificateAuthority) -> None:
    name = "git.corp.example.com"
    with TLSServer(cache.server_context(HOST)) as server:
        result = tls_connect(server.port, verifying_client(ca.cert_path), name)
        served = server.wait(1)[0]
    assert sans(result.peer_cert) == [name]
    assert served.hostname == name
    assert name in cache and HOST in cache


def test_sni_outside_the_constraints_is_refused(
    cache: LeafCertCache, ca: CertificateAuthority
) -> None:
    client = verifying_client(ca.cert_path)
    with TLSServer(cache.server_context(HOST)) as server:
        with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
            tls_connect(server.port, client, "evil.example.com")
        served = server.wait(1)[0]
    assert served.error is not None
    assert "evil.example.com" not in cache
    assert len(cache) == 1  # only the default host's leaf was ever minted


def test_no_sni_gets_the_default_host(cache: LeafCertCache, ca: CertificateAuthority) -> None:
    client = verifying_client(ca.cert_path)
    client.check_hostname = False  # without server_hostname, ssl sends no SNI
    with TLSServer(cache.server_context(HOST)) as server:
        result = tls_connect(server.port, client, None)
        served = server.wait(1)[0]
    assert sans(result.peer_cert) == [HOST]
    assert served.hostname == HOST


def test_server_context_refuses_hosts_it_cannot_serve(cache: LeafCertCache) -> None:
    for host in ["evil.example.com", "127.0.0.1", "*.corp.example.com", ""]:
        with pytest.raises(ValueError):
            cache.server_context(host)
    assert len(cache) == 0


def test_served_hostname_of_a_foreign_context(ca: CertificateAuthority, tmp_path: Path) -> None:
    ctx, _ = _forged_server(ca, tmp_path, dns=HOST)
    with TLSServer(ctx) as server:
        tls_connect(server.port, verifying_client(ca.cert_path), HOST)
        assert server.wait(1)[0].hostname is None


# ------------------------------------------------------------------ cache


def test_lru_is_bounded_and_one_key_serves_every_leaf(ca: CertificateAuthority) -> None:
    cache = LeafCertCache(ca, maxsize=2)
    client = verifying_client(ca.cert_path)
    names = ["a.corp.example.com", "b.corp.example.com", "c.corp.example.com"]
    first = cache.server_context(names[0])
    assert cache.server_context(names[0]) is first  # cached
    keys = set()
    for name in names:
        with TLSServer(cache.server_context(name)) as server:
            keys.add(spki(tls_connect(server.port, client, name).peer_cert))
    assert len(cache) == 2
    assert names[0] not in cache and names[1] in cache and names[2] in cache
    assert keys == {
        cache.leaf_public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    }
    # An evicted name is minted again, as a new context.
    assert cache.server_context(names[0]) is not first
    assert names[1] not in cache  # now the least recently used


def test_recently_used_names_survive_eviction(ca: CertificateAuthority) -> None:
    cache = LeafCertCache(ca, maxsize=2)
    a = cache.server_context("a.corp.example.com")
    cache.server_context("b.corp.example.com")
    assert cache.server_context("a.corp.example.com") is a  # a is now most recent
    cache.server_context("c.corp.example.com")
    assert "a.corp.example.com" in cache and "b.corp.example.com" not in cache


def test_caches_have_distinct_keys(ca: CertificateAuthority) -> None:
    assert spki_of(LeafCertCache(ca)) != spki_of(LeafCertCache(ca))


def spki_of(cache: LeafCertCache) -> bytes:
    return cache.leaf_public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_leaf_is_renewed_at_half_life(ca: CertificateAuthority) -> None:
    now = [datetime.now(UTC)]
    cache = LeafCertCache(ca, clock=lambda: now[0])
    first = cache.server_context(HOST)
    now[0] += LEAF_LIFETIME / 2 - timedelta(minutes=1)
    assert cache.server_context(HOST) is first
    now[0] += timedelta(minutes=2)
    assert cache.server_context(HOST) is not first


def test_maxsize_must_be_positive(ca: CertificateAuthority) -> None:
    with pytest.raises(ValueError):
        LeafCertCache(ca, maxsize=0)


# ------------------------------------------------------------------ ALPN


@pytest.mark.parametrize(
    ("allow_h2", "offered", "selected"),
    [
        (False, ["h2", "http/1.1"], "http/1.1"),
        (True, ["h2", "http/1.1"], "h2"),
        (True, ["http/1.1"], "http/1.1"),
    ],
)
def test_alpn(ca: CertificateAuthority, allow_h2: bool, offered: list[str], selected: str) -> None:
    cache = LeafCertCache(ca, alpn=alpn_protocols(allow_h2))
    with TLSServer(cache.server_context(HOST)) as server:
        result = tls_connect(server.port, verifying_client(ca.cert_path, alpn=offered), HOST)
        served = server.wait(1)[0]
    assert result.alpn == selected == served.alpn


# ------------------------------------------------------------------ asyncio start_tls


def _loop_factories() -> list[Any]:
    factories: list[Any] = [pytest.param(asyncio.new_event_loop, id="asyncio")]
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        factories.append(pytest.param(uvloop.new_event_loop, id="uvloop"))
    return factories


@pytest.mark.parametrize("new_loop", _loop_factories())
def test_start_tls_on_an_accepted_stream(
    ca: CertificateAuthority, new_loop: Callable[[], asyncio.AbstractEventLoop]
) -> None:
    """The proxy's path: plain TCP first (CONNECT), then server-side start_tls with the
    cache's context; SNI switching must work on an SSLObject as on an SSLSocket."""
    cache = LeafCertCache(ca, alpn=alpn_protocols())
    name = "git.corp.example.com"

    async def main() -> tuple[str, str | None]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readline()  # the plain-text preamble, like a CONNECT request
            writer.write(b"go\n")
            await writer.drain()
            await writer.start_tls(cache.server_context(HOST))
            ssl_object = writer.get_extra_info("ssl_object")
            writer.write(f"{served_hostname(ssl_object)}\n".encode())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello\n")
        await writer.drain()
        assert await reader.readline() == b"go\n"
        client = verifying_client(ca.cert_path, alpn=["http/1.1"])
        await writer.start_tls(client, server_hostname=name)
        line = (await reader.readline()).decode().strip()
        peer = writer.get_extra_info("peercert")
        writer.close()
        server.close()
        await server.wait_closed()
        return line, dict(x[0] for x in peer["subject"]).get("commonName")

    loop = new_loop()
    try:
        served, cn = _run(loop, main())
    finally:
        loop.close()
    assert served == name
    assert cn == name


def _run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> Any:
    return loop.run_until_complete(asyncio.wait_for(coro, 15))
