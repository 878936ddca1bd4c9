"""Server hardening (Mozilla intermediate) and upstream verification, over real sockets.

Each refusal test first shows that the same client succeeds against a permissive server, so
the refusal is the hardened server's doing and not a limit of the local OpenSSL.
"""

from __future__ import annotations

import ssl
import warnings
from pathlib import Path

import pytest
from conftest_tls import (
    TLSServer,
    new_key,
    self_signed,
    server_context_for,
    tls_connect,
    verifying_client,
    write_pem,
)

from tls import (
    CertificateAuthority,
    LeafCertCache,
    alpn_protocols,
    harden_server_context,
    upstream_context,
)

HOST = "api.anthropic.com"


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority.load_or_create(tmp_path / "state", [HOST])


@pytest.fixture
def hardened(ca: CertificateAuthority) -> ssl.SSLContext:
    return LeafCertCache(ca).server_context(HOST)


@pytest.fixture
def permissive(ca: CertificateAuthority, tmp_path: Path) -> ssl.SSLContext:
    """Python's default server context, opened down to TLS 1.0, with a valid leaf."""
    key = new_key()
    ctx = server_context_for(tmp_path, ca.issue_leaf(HOST, key.public_key()), key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext) -> str | None:
    """Handshake once; return the negotiated cipher, raise the client's error."""
    with TLSServer(server_ctx) as server:
        return tls_connect(server.port, client_ctx, HOST).cipher


def client(ca: CertificateAuthority) -> ssl.SSLContext:
    return verifying_client(ca.cert_path)


# ------------------------------------------------------------------ hardened server


def test_modern_clients_are_served(ca: CertificateAuthority, hardened: ssl.SSLContext) -> None:
    assert handshake(hardened, client(ca)) in {
        "TLS_AES_256_GCM_SHA384",
        "TLS_AES_128_GCM_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
    }
    for suite in [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
    ]:
        tls12 = client(ca)
        tls12.maximum_version = ssl.TLSVersion.TLSv1_2
        tls12.set_ciphers(suite)
        assert handshake(hardened, tls12) == suite


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls11_is_refused(
    ca: CertificateAuthority, hardened: ssl.SSLContext, permissive: ssl.SSLContext
) -> None:
    old = client(ca)
    old.minimum_version = ssl.TLSVersion.TLSv1_1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    try:
        handshake(permissive, old)
    except ssl.SSLError as exc:
        pytest.skip(f"this OpenSSL cannot speak TLS 1.1 at all: {exc}")
    with pytest.raises(ssl.SSLError):
        handshake(hardened, old)


@pytest.mark.parametrize(
    "suites",
    [
        "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384",  # Python's default allows these
        "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA",
    ],
)
def test_cbc_suites_are_refused(
    ca: CertificateAuthority, hardened: ssl.SSLContext, permissive: ssl.SSLContext, suites: str
) -> None:
    cbc = client(ca)
    cbc.maximum_version = ssl.TLSVersion.TLSv1_2  # TLS 1.3 would ignore the cipher list
    cbc.set_ciphers(suites + ":@SECLEVEL=0")
    assert "CBC" not in (handshake(permissive, cbc) or "GCM")  # control: it does connect
    with pytest.raises(ssl.SSLError):
        handshake(hardened, cbc)


@pytest.mark.parametrize("curve", ["secp521r1", "X448"])
def test_groups_outside_intermediate_are_refused(
    ca: CertificateAuthority,
    hardened: ssl.SSLContext,
    permissive: ssl.SSLContext,
    curve: str,
) -> None:
    # TLS 1.3, where the group is only the key exchange. (In TLS 1.2 a client's group list
    # also restricts the curve of the server's ECDSA certificate, so a P-521-only client
    # cannot reach any P-256 leaf, hardened or not.)
    other = client(ca)
    try:
        other.set_ecdh_curve(curve)
    except ValueError:
        pytest.skip(f"this OpenSSL has no {curve}")
    handshake(permissive, other)  # control
    with pytest.raises(ssl.SSLError):
        handshake(hardened, other)


def test_p256_only_client_is_served(ca: CertificateAuthority, hardened: ssl.SSLContext) -> None:
    p256 = client(ca)
    p256.set_ecdh_curve("prime256v1")
    assert handshake(hardened, p256)


def test_hardened_options(hardened: ssl.SSLContext) -> None:
    assert hardened.minimum_version == ssl.TLSVersion.TLSv1_2
    assert hardened.options & ssl.OP_NO_COMPRESSION
    assert hardened.options & ssl.OP_NO_RENEGOTIATION
    assert not hardened.options & ssl.OP_CIPHER_SERVER_PREFERENCE
    assert hardened.num_tickets == 0
    tls12 = {c["name"] for c in hardened.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12
    assert all(("GCM" in n or "CHACHA20" in n) and n.startswith("ECDHE-") for n in tls12)


def test_harden_refuses_client_contexts() -> None:
    with pytest.raises(ValueError):
        harden_server_context(ssl.create_default_context())


def test_alpn_protocols() -> None:
    assert alpn_protocols() == ["http/1.1"]
    assert alpn_protocols(allow_h2=True) == ["h2", "http/1.1"]


# ------------------------------------------------------------------ upstream


@pytest.fixture
def upstream(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A private upstream with a self-signed certificate for upstream.test."""
    cert, key = self_signed("upstream.test")
    return server_context_for(tmp_path, cert, key), write_pem(tmp_path / "upstream.pem", cert)


def test_upstream_context_is_verifying() -> None:
    ctx = upstream_context(None)
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname is True
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_upstream_self_signed_without_extra_ca_fails(
    upstream: tuple[ssl.SSLContext, Path],
) -> None:
    server_ctx, _ = upstream
    with TLSServer(server_ctx) as server:
        with pytest.raises(ssl.SSLCertVerificationError) as info:
            tls_connect(server.port, upstream_context(None), "upstream.test")
        server.wait(1)
    assert info.value.verify_code == 18  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT


def test_upstream_with_extra_ca_succeeds(upstream: tuple[ssl.SSLContext, Path]) -> None:
    server_ctx, cafile = upstream
    ctx = upstream_context(cafile, alpn=alpn_protocols())
    with TLSServer(server_ctx) as server:
        result = tls_connect(server.port, ctx, "upstream.test")
    assert result.version == "TLSv1.3"


def test_upstream_hostname_mismatch_fails(upstream: tuple[ssl.SSLContext, Path]) -> None:
    server_ctx, cafile = upstream
    with TLSServer(server_ctx) as server:
        with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
            tls_connect(server.port, upstream_context(cafile), "other.test")
        server.wait(1)


def test_upstream_offers_alpn(ca: CertificateAuthority) -> None:
    # Our own intercept side as the upstream: it selects from what the client offers.
    server_ctx = LeafCertCache(ca, alpn=alpn_protocols(allow_h2=True)).server_context(HOST)
    ctx = upstream_context(ca.cert_path, alpn=alpn_protocols(allow_h2=True))
    with TLSServer(server_ctx) as server:
        assert tls_connect(server.port, ctx, HOST).alpn == "h2"


def test_upstream_extra_ca_missing(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        upstream_context(tmp_path / "absent.pem")


def test_upstream_extra_ca_without_certificates(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("no certificates here\n")
    with pytest.raises(ssl.SSLError):
        upstream_context(empty)
