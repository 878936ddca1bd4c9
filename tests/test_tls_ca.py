"""The local CA: creation, storage, reloading, races, name constraints and damaged state."""

from __future__ import annotations

import ipaddress
import multiprocessing
import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest_tls import load_ca_key, new_key
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tls import CAConstraintError, CAError, CertificateAuthority
from tls.ca import CA_LIFETIME

INTERCEPT = ["api.anthropic.com", "*.corp.example.com"]


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state" / "maskproxy"


@pytest.fixture
def ca(state_dir: Path) -> CertificateAuthority:
    return CertificateAuthority.load_or_create(state_dir, INTERCEPT)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ------------------------------------------------------------------ creation and storage


def test_created_on_first_use_with_private_modes(state_dir: Path) -> None:
    assert not state_dir.exists()
    ca = CertificateAuthority.load_or_create(state_dir, INTERCEPT)
    assert mode(state_dir) == 0o700
    assert ca.cert_path == state_dir / "ca.pem"
    assert ca.key_path == state_dir / "ca-key.pem"
    assert mode(ca.key_path) == 0o600
    assert ca.cert_path.read_bytes() == ca.cert_pem
    assert ca.key_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
    # No temporary files are left behind.
    assert sorted(p.name for p in state_dir.iterdir() if not p.name.startswith(".ca.lock")) == [
        "ca-key.pem",
        "ca.pem",
    ]


def test_created_with_restrictive_modes_despite_permissive_umask(state_dir: Path) -> None:
    old = os.umask(0)
    try:
        ca = CertificateAuthority.load_or_create(state_dir, INTERCEPT)
    finally:
        os.umask(old)
    assert mode(state_dir) == 0o700
    assert mode(ca.key_path) == 0o600


def test_ca_certificate_profile(ca: CertificateAuthority) -> None:
    cert = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert isinstance(cn, str) and cn.startswith("maskproxy local CA (") and cn.endswith(")")
    assert cert.issuer == cert.subject
    cert.verify_directly_issued_by(cert)
    public_key = cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"

    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert CA_LIFETIME <= lifetime <= CA_LIFETIME + timedelta(hours=2)

    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski.digest == x509.SubjectKeyIdentifier.from_public_key(public_key).digest

    nc = cert.extensions.get_extension_for_class(x509.NameConstraints)
    assert nc.critical
    assert nc.value.permitted_subtrees == [
        x509.DNSName("api.anthropic.com"),
        x509.DNSName("corp.example.com"),
    ]
    assert nc.value.excluded_subtrees is not None
    assert set(nc.value.excluded_subtrees) == {
        x509.IPAddress(ipaddress.IPv4Network("0.0.0.0/0")),
        x509.IPAddress(ipaddress.IPv6Network("::/0")),
    }
    assert ca.permitted == ("api.anthropic.com", "corp.example.com")


def test_reload_gives_the_same_ca(ca: CertificateAuthority, state_dir: Path) -> None:
    again = CertificateAuthority.load_or_create(state_dir, INTERCEPT)
    assert again.cert_pem == ca.cert_pem
    assert again.permitted == ca.permitted
    assert again.fingerprint == ca.fingerprint
    assert CertificateAuthority.load(state_dir).cert_pem == ca.cert_pem


def test_reload_with_a_narrower_intercept_list(ca: CertificateAuthority, state_dir: Path) -> None:
    # Every pattern within the CA's subtrees is fine, including names under a glob.
    again = CertificateAuthority.load_or_create(
        state_dir, ["git.corp.example.com", "*.build.corp.example.com"]
    )
    assert again.cert_pem == ca.cert_pem


def test_load_without_a_ca(tmp_path: Path) -> None:
    with pytest.raises(CAError, match="no CA"):
        CertificateAuthority.load(tmp_path)


def _race_worker(state_dir: str, barrier: object, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    ca = CertificateAuthority.load_or_create(Path(state_dir), INTERCEPT)
    results.put(ca.cert_pem)  # type: ignore[attr-defined]


def test_racing_processes_end_with_one_ca(state_dir: Path) -> None:
    # fork starts the workers fast; spawn where fork is unavailable. Either way they are
    # separate processes with their own descriptors, contending for the same files.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    n = 4
    barrier = ctx.Barrier(n)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_race_worker, args=(str(state_dir), barrier, results))  # type: ignore[attr-defined]
        for _ in range(n)
    ]
    for p in procs:
        p.start()
    pems = [results.get(timeout=60) for _ in range(n)]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len(set(pems)) == 1
    assert (state_dir / "ca.pem").read_bytes() == pems[0]
    _assert_pair_matches(state_dir)


def test_racing_threads_end_with_one_ca(state_dir: Path) -> None:
    n = 8
    barrier = threading.Barrier(n)
    pems: list[bytes] = []
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            pems.append(CertificateAuthority.load_or_create(state_dir, INTERCEPT).cert_pem)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(pems) == n and len(set(pems)) == 1
    _assert_pair_matches(state_dir)


def _assert_pair_matches(state_dir: Path) -> None:
    cert = x509.load_pem_x509_certificate((state_dir / "ca.pem").read_bytes())
    key = load_ca_key(state_dir)
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert cert.public_key().public_bytes(*spki) == key.public_key().public_bytes(*spki)


# ------------------------------------------------------------------ name constraints


def test_constraint_mismatch_raises(ca: CertificateAuthority, state_dir: Path) -> None:
    with pytest.raises(CAConstraintError) as info:
        CertificateAuthority.load_or_create(state_dir, [*INTERCEPT, "api.openai.com"])
    message = str(info.value)
    assert "maskproxy ca --regenerate" in message
    assert "api.openai.com" in message
    assert str(state_dir) in message
    assert "api.anthropic.com" in message
    assert isinstance(info.value, CAError)
    # Nothing was replaced.
    assert (state_dir / "ca.pem").read_bytes() == ca.cert_pem


def test_a_glob_is_not_covered_by_a_single_name(state_dir: Path) -> None:
    CertificateAuthority.load_or_create(state_dir, ["api.anthropic.com"])
    with pytest.raises(CAConstraintError, match=r"anthropic\.com"):
        CertificateAuthority.load_or_create(state_dir, ["*.anthropic.com"])


def test_regenerate(ca: CertificateAuthority, state_dir: Path) -> None:
    new = CertificateAuthority.regenerate(state_dir, ["api.anthropic.com", "api.openai.com"])
    assert new.cert_pem != ca.cert_pem
    assert new.permitted == ("api.anthropic.com", "api.openai.com")
    assert (state_dir / "ca.pem").read_bytes() == new.cert_pem
    assert mode(new.key_path) == 0o600
    _assert_pair_matches(state_dir)
    # The new CA now satisfies the grown list.
    loaded = CertificateAuthority.load_or_create(state_dir, ["api.openai.com"])
    assert loaded.cert_pem == new.cert_pem


@pytest.mark.parametrize(
    ("host", "permitted"),
    [
        ("api.anthropic.com", True),
        ("API.ANTHROPIC.COM.", True),
        ("eu.api.anthropic.com", True),  # dNSName subtree semantics: subdomains are inside
        ("anthropic.com", False),
        ("xapi.anthropic.com", False),
        ("api.anthropic.com.evil.com", False),
        ("git.corp.example.com", True),
        ("a.b.corp.example.com", True),
        ("corp.example.com", True),  # a '*.' glob's subtree includes its apex
        ("evilcorp.example.com", False),
        ("evil.example.com", False),
        ("127.0.0.1", False),
        ("::1", False),
        ("", False),
        ("*.corp.example.com", False),
    ],
)
def test_permits(ca: CertificateAuthority, host: str, permitted: bool) -> None:
    assert ca.permits(host) is permitted


@pytest.mark.parametrize("bad", [["*"], ["api.*.com"], ["10.0.0.1"], [], ["api.anthropic.com:443"]])
def test_invalid_intercept_list(tmp_path: Path, bad: list[str]) -> None:
    state_dir = tmp_path / "never-created"
    with pytest.raises(CAError):
        CertificateAuthority.load_or_create(state_dir, bad)
    assert not state_dir.exists()


def test_issue_leaf_refuses_a_name_outside_the_constraints(ca: CertificateAuthority) -> None:
    with pytest.raises(ValueError, match="do not permit"):
        ca.issue_leaf("evil.example.com", new_key().public_key())


def test_issue_leaf_after_the_ca_expired(ca: CertificateAuthority) -> None:
    later = ca.not_valid_after + timedelta(seconds=1)
    with pytest.raises(CAError, match="regenerate"):
        ca.issue_leaf("api.anthropic.com", new_key().public_key(), now=later)


def test_leaf_never_outlives_the_ca(ca: CertificateAuthority) -> None:
    almost = ca.not_valid_after - timedelta(hours=1)
    leaf = ca.issue_leaf("api.anthropic.com", new_key().public_key(), now=almost)
    assert leaf.not_valid_after_utc == ca.not_valid_after


# ------------------------------------------------------------------ damaged state


def test_loose_key_mode_is_refused(ca: CertificateAuthority, state_dir: Path) -> None:
    os.chmod(ca.key_path, 0o644)
    with pytest.raises(CAError, match="chmod 600"):
        CertificateAuthority.load_or_create(state_dir, INTERCEPT)
    os.chmod(ca.key_path, 0o600)
    assert CertificateAuthority.load_or_create(state_dir, INTERCEPT).cert_pem == ca.cert_pem


def test_corrupt_key_is_an_error_not_a_new_ca(ca: CertificateAuthority, state_dir: Path) -> None:
    ca.key_path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(CAError, match="damaged") as info:
        CertificateAuthority.load_or_create(state_dir, INTERCEPT)
    assert not isinstance(info.value, CAConstraintError)
    assert "maskproxy ca --regenerate" in str(info.value)
    assert ca.cert_path.read_bytes() == ca.cert_pem  # not silently regenerated


def test_corrupt_certificate_is_an_error(ca: CertificateAuthority, state_dir: Path) -> None:
    ca.cert_path.write_bytes(b"garbage")
    with pytest.raises(CAError, match="damaged"):
        CertificateAuthority.load_or_create(state_dir, INTERCEPT)
    assert ca.cert_path.read_bytes() == b"garbage"


@pytest.mark.parametrize("remove", ["ca.pem", "ca-key.pem"])
def test_half_present_pair_is_an_error(
    ca: CertificateAuthority, state_dir: Path, remove: str
) -> None:
    (state_dir / remove).unlink()
    with pytest.raises(CAError, match="incomplete"):
        CertificateAuthority.load_or_create(state_dir, INTERCEPT)
    assert not (state_dir / remove).exists()


def test_foreign_key_is_refused(ca: CertificateAuthority, state_dir: Path, tmp_path: Path) -> None:
    other = CertificateAuthority.load_or_create(tmp_path / "other", INTERCEPT)
    ca.key_path.write_bytes(other.key_path.read_bytes())
    with pytest.raises(CAError, match="do not belong together"):
        CertificateAuthority.load_or_create(state_dir, INTERCEPT)


def _resign(
    state_dir: Path, *, constraints: bool = True, not_after: datetime | None = None
) -> None:
    """Replace ca.pem with a CA certificate for the same key, altered as asked."""
    key = load_ca_key(state_dir)
    old = x509.load_pem_x509_certificate((state_dir / "ca.pem").read_bytes())
    builder = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(old.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(old.not_valid_before_utc - timedelta(days=30))
        .not_valid_after(not_after or old.not_valid_after_utc)
    )
    for ext in old.extensions:
        if isinstance(ext.value, x509.NameConstraints) and not constraints:
            continue
        builder = builder.add_extension(ext.value, ext.critical)
    cert = builder.sign(key, hashes.SHA256())
    (state_dir / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_unconstrained_ca_is_refused(ca: CertificateAuthority, state_dir: Path) -> None:
    _resign(state_dir, constraints=False)
    with pytest.raises(CAError, match="no DNS name constraints"):
        CertificateAuthority.load_or_create(state_dir, INTERCEPT)


def test_expired_ca_is_refused(ca: CertificateAuthority, state_dir: Path) -> None:
    _resign(state_dir, not_after=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(CAError, match="expired"):
        CertificateAuthority.load_or_create(state_dir, INTERCEPT)


def test_regenerate_recovers_from_damage(ca: CertificateAuthority, state_dir: Path) -> None:
    ca.key_path.write_bytes(b"garbage")
    new = CertificateAuthority.regenerate(state_dir, INTERCEPT)
    assert CertificateAuthority.load_or_create(state_dir, INTERCEPT).cert_pem == new.cert_pem


def test_state_dir_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("")
    with pytest.raises(CAError, match="not a directory"):
        CertificateAuthority.load_or_create(target, INTERCEPT)
