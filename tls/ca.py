"""The local certificate authority that signs the leaf certificates of intercepted hosts.

The CA lives in the state directory as two files: ``ca.pem`` (the certificate, what a client
is told to trust, e.g. through ``NODE_EXTRA_CA_CERTS``) and ``ca-key.pem`` (its ECDSA P-256
key, PKCS#8, mode 0600). It is made on first use and never replaced behind the user's back:
a damaged or mismatched pair is an error that says what to do, because a silently new CA
would break every client that trusts the old one.

The CA certificate carries critical X.509 name constraints. Its permitted dNSName subtrees
are the domains of the intercept list, and every IPv4 and IPv6 address is excluded, so even
a leaked key cannot produce a certificate that a verifying client accepts for any other
site. When the intercept list grows beyond those subtrees the CA cannot serve it, and
:class:`CAConstraintError` tells the user to make a new one.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .names import name_in_subtree, normalize_hostname, permitted_subtrees
from .statedir import (
    LooseModeError,
    ensure_private_dir,
    exclusive_lock,
    read_private_file,
    write_atomic,
)

__all__ = [
    "CA_CERT_FILE",
    "CA_KEY_FILE",
    "CA_LIFETIME",
    "CLOCK_SKEW",
    "LEAF_LIFETIME",
    "CAConstraintError",
    "CAError",
    "CertificateAuthority",
]

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
_LOCK_FILE = ".ca.lock"

CA_LIFETIME = timedelta(days=730)
"""Validity of a new CA certificate (about two years)."""

LEAF_LIFETIME = timedelta(days=7)
"""Validity of a leaf certificate: far below a year, as Mozilla's guidelines ask."""

CLOCK_SKEW = timedelta(hours=1)
"""How far notBefore is backdated, so a client whose clock runs late still accepts it."""

_REGENERATE = "run `maskproxy ca --regenerate` (clients must then trust the new certificate)"
_CN_MAX = 64  # upper bound of commonName in RFC 5280


class CAError(Exception):
    """The CA cannot be created, loaded or used. The message says what the user should do."""


class CAConstraintError(CAError):
    """The CA's name constraints do not permit every pattern of the intercept list."""


class CertificateAuthority:
    """A loaded CA: its certificate, its key and the dNSName subtrees it may sign for.

    Build one with :meth:`load_or_create`, :meth:`regenerate` or :meth:`load`, never
    directly. Instances are immutable and safe to share between threads.
    """

    cert_path: Path
    """The PEM certificate file in the state directory (what clients must trust)."""
    key_path: Path
    """The PKCS#8 PEM key file in the state directory (mode 0600)."""
    cert: x509.Certificate
    cert_pem: bytes
    permitted: tuple[str, ...]
    """The permitted dNSName subtrees of the certificate's name constraints, sorted."""

    def __init__(
        self,
        *,
        cert: x509.Certificate,
        key: ec.EllipticCurvePrivateKey,
        cert_path: Path,
        key_path: Path,
        permitted: tuple[str, ...],
    ) -> None:
        self.cert = cert
        self._key = key
        self.cert_path = cert_path
        self.key_path = key_path
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        self.permitted = permitted
        self._ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    def __repr__(self) -> str:
        return (
            f"CertificateAuthority(cert_path={str(self.cert_path)!r}, "
            f"permitted={self.permitted!r}, fingerprint={self.fingerprint!r})"
        )

    # ---------------------------------------------------------------- construction

    @classmethod
    def load_or_create(cls, state_dir: Path, intercept: Sequence[str]) -> CertificateAuthority:
        """Load the CA in ``state_dir``, creating it (and the directory, mode 0700) if absent.

        A new CA permits exactly the subtrees of ``intercept``. An existing one is checked
        against ``intercept``: :class:`CAConstraintError` if some pattern falls outside its
        name constraints. Processes and threads starting together serialise on a lock file
        in ``state_dir``, so they all end up with the same CA. Raises :class:`CAError` for an
        invalid intercept pattern, an unreadable, damaged, mismatched or expired CA, a key
        file readable by others, or a half-present pair; it never replaces existing files.
        """
        state_dir = Path(state_dir)
        subtrees = _subtrees_or_error(intercept)
        _prepare_dir(state_dir)
        with _locked(state_dir):
            ca = cls._load_existing(state_dir)
            if ca is None:
                ca = cls._create(state_dir, subtrees)
        ca._require_covers(subtrees)
        return ca

    @classmethod
    def regenerate(cls, state_dir: Path, intercept: Sequence[str]) -> CertificateAuthority:
        """Replace the CA in ``state_dir`` with a new key and certificate for ``intercept``.

        The old key is overwritten: clients must trust the new ``ca.pem`` afterwards.
        Damaged files are replaced too, which makes this the way out of every
        :class:`CAError` about the stored CA.
        """
        state_dir = Path(state_dir)
        subtrees = _subtrees_or_error(intercept)
        _prepare_dir(state_dir)
        with _locked(state_dir):
            return cls._create(state_dir, subtrees)

    @classmethod
    def load(cls, state_dir: Path) -> CertificateAuthority:
        """Load the existing CA in ``state_dir`` without checking it against an intercept list.

        For commands that show or export the CA. Raises :class:`CAError` if there is none.
        """
        state_dir = Path(state_dir)
        if not state_dir.is_dir():
            raise CAError(f"there is no CA in {state_dir}: the directory does not exist")
        with _locked(state_dir):
            ca = cls._load_existing(state_dir)
        if ca is None:
            raise CAError(f"there is no CA in {state_dir}; it is created on first start")
        return ca

    @classmethod
    def _create(cls, state_dir: Path, subtrees: tuple[str, ...]) -> CertificateAuthority:
        """Make a key and a self-signed constrained certificate and store both (lock held)."""
        key = ec.generate_private_key(ec.SECP256R1())
        public_key = key.public_key()
        now = datetime.now(UTC)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, _ca_common_name()),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "maskproxy"),
            ]
        )
        ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
        constraints = x509.NameConstraints(
            permitted_subtrees=[x509.DNSName(s) for s in subtrees],
            # Without an iPAddress entry, IP SANs would be unconstrained (RFC 5280 checks
            # each name form separately); excluding all addresses closes that gap.
            excluded_subtrees=[
                x509.IPAddress(ipaddress.IPv4Network("0.0.0.0/0")),
                x509.IPAddress(ipaddress.IPv6Network("::/0")),
            ],
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(constraints, critical=True)
            .add_extension(ski, critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )
        cert_path = state_dir / CA_CERT_FILE
        key_path = state_dir / CA_KEY_FILE
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            write_atomic(key_path, key_pem, 0o600)
        except OSError as exc:
            raise CAError(f"cannot write the CA into {state_dir}: {exc}") from exc
        try:
            write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        except OSError as exc:
            # Leave no key without its certificate, so the next start can begin afresh.
            with contextlib.suppress(OSError):
                key_path.unlink()
            raise CAError(f"cannot write the CA into {state_dir}: {exc}") from exc
        return cls(cert=cert, key=key, cert_path=cert_path, key_path=key_path, permitted=subtrees)

    @classmethod
    def _load_existing(cls, state_dir: Path) -> CertificateAuthority | None:
        """Load and validate the stored pair; None if neither file exists (lock held)."""
        cert_path = state_dir / CA_CERT_FILE
        key_path = state_dir / CA_KEY_FILE
        has_cert = os.path.lexists(cert_path)
        has_key = os.path.lexists(key_path)
        if not has_cert and not has_key:
            return None
        if has_cert != has_key:
            present, missing = (cert_path, key_path) if has_cert else (key_path, cert_path)
            raise CAError(
                f"{present} exists but {missing} does not, so the CA is incomplete; "
                f"restore the missing file, or {_REGENERATE}"
            )
        key = _read_key(key_path)
        cert = _read_cert(cert_path)
        _check_pair(cert, key, cert_path, key_path)
        permitted = _permitted_of(cert, cert_path)
        return cls(cert=cert, key=key, cert_path=cert_path, key_path=key_path, permitted=permitted)

    # ---------------------------------------------------------------- queries

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the certificate, colon-separated upper-case hex."""
        return self.cert.fingerprint(hashes.SHA256()).hex(":").upper()

    @property
    def not_valid_after(self) -> datetime:
        """When the CA certificate expires (UTC)."""
        return self.cert.not_valid_after_utc

    def permits(self, hostname: str) -> bool:
        """Tell whether a client verifying a leaf for ``hostname`` would accept this CA's
        name constraints, i.e. the name lies in one of the permitted dNSName subtrees.

        Case and one trailing dot are ignored. IP addresses and malformed names are never
        permitted.
        """
        try:
            name = normalize_hostname(hostname)
        except ValueError:
            return False
        return any(name_in_subtree(name, s) for s in self.permitted)

    def issue_leaf(
        self,
        hostname: str,
        public_key: CertificatePublicKeyTypes,
        *,
        lifetime: timedelta = LEAF_LIFETIME,
        now: datetime | None = None,
    ) -> x509.Certificate:
        """Sign a TLS server certificate for ``hostname`` over ``public_key``.

        Profile: subject CN = the name (an empty subject with a critical SAN when the name
        exceeds the 64 characters a CN may hold), SAN dNSName = the name, random serial,
        valid from ``now`` minus :data:`CLOCK_SKEW` for ``lifetime`` (never past the CA's own
        expiry), BasicConstraints CA:FALSE and KeyUsage digitalSignature (both critical),
        ExtendedKeyUsage serverAuth, SubjectKeyIdentifier and AuthorityKeyIdentifier, signed
        with ECDSA SHA-256. This is what ``openssl verify -x509_strict`` demands.

        Raises :class:`ValueError` if the name is malformed or outside the permitted
        subtrees (clients would reject the certificate), :class:`CAError` if the CA has
        expired.
        """
        name = normalize_hostname(hostname)
        if not self.permits(name):
            raise ValueError(
                f"the CA's name constraints do not permit {name} "
                f"(permitted: {', '.join(self.permitted)})"
            )
        now = now if now is not None else datetime.now(UTC)
        ca_not_after = self.cert.not_valid_after_utc
        if now >= ca_not_after:
            raise CAError(
                f"the CA in {self.cert_path.parent} expired on "
                f"{ca_not_after:%Y-%m-%d}; {_REGENERATE}"
            )
        not_before = max(now - CLOCK_SKEW, self.cert.not_valid_before_utc)
        not_after = min(now + lifetime, ca_not_after)
        long_name = len(name) > _CN_MAX
        subject = (
            x509.Name([])
            if long_name
            else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        )
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            # RFC 5280 4.2.1.6: with an empty subject the SAN extension must be critical.
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=long_name)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(self._ski),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )

    def _require_covers(self, subtrees: tuple[str, ...]) -> None:
        """Raise :class:`CAConstraintError` unless every subtree lies within a permitted one."""
        missing = [s for s in subtrees if not any(name_in_subtree(s, p) for p in self.permitted)]
        if missing:
            raise CAConstraintError(
                f"the CA in {self.cert_path.parent} permits only {', '.join(self.permitted)}; "
                f"the intercept list now includes {', '.join(missing)} — {_REGENERATE}"
            )


# -------------------------------------------------------------------- helpers


def _subtrees_or_error(intercept: Sequence[str]) -> tuple[str, ...]:
    try:
        return permitted_subtrees(intercept)
    except ValueError as exc:
        raise CAError(
            f"{exc}; list host names (api.example.com) or '*.' globs (*.example.com)"
        ) from None


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    """Serialise CA creation and loading across threads and processes."""
    lock_path = state_dir / _LOCK_FILE
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(exclusive_lock(lock_path))
        except OSError as exc:
            raise CAError(
                f"cannot lock {lock_path}: {exc}; check the directory's permissions"
            ) from exc
        yield


def _prepare_dir(state_dir: Path) -> None:
    if os.path.lexists(state_dir) and not state_dir.is_dir():
        raise CAError(f"the state directory {state_dir} exists but is not a directory")
    try:
        ensure_private_dir(state_dir)
    except OSError as exc:
        raise CAError(f"cannot create the state directory {state_dir}: {exc}") from exc


def _ca_common_name() -> str:
    prefix, suffix = "maskproxy local CA (", ")"
    host = socket.gethostname() or "localhost"
    room = _CN_MAX - len(prefix) - len(suffix)
    return f"{prefix}{host[:room]}{suffix}"


def _read_key(key_path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        data = read_private_file(key_path)
    except LooseModeError as exc:
        raise CAError(
            f"the CA key {key_path} is accessible to other users (mode {exc.mode:04o}); "
            f"run `chmod 600 {key_path}`, and {_REGENERATE} if others may have copied it"
        ) from None
    except OSError as exc:
        raise CAError(
            f"cannot read the CA key {key_path}: {exc}; fix its permissions or {_REGENERATE}"
        ) from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise CAError(
            f"the CA key {key_path} is damaged or not an unencrypted PEM key ({exc}); "
            f"restore it from a backup, or {_REGENERATE}"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CAError(f"the CA key {key_path} is not an ECDSA key; {_REGENERATE}")
    return key


def _read_cert(cert_path: Path) -> x509.Certificate:
    try:
        data = cert_path.read_bytes()
    except OSError as exc:
        raise CAError(f"cannot read the CA certificate {cert_path}: {exc}") from exc
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise CAError(
            f"the CA certificate {cert_path} is damaged ({exc}); "
            f"restore it from a backup, or {_REGENERATE}"
        ) from None


def _check_pair(
    cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, cert_path: Path, key_path: Path
) -> None:
    """Refuse a pair that cannot work: foreign key, not a CA, not self-signed, expired."""
    pem = serialization.Encoding.PEM
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(pem, spki) != key.public_key().public_bytes(pem, spki):
        raise CAError(
            f"{cert_path} and {key_path} do not belong together; "
            f"restore the matching pair, or {_REGENERATE}"
        )
    # Leaves need the CA flag (or clients reject the chain) and the SKI (their AKI copies it).
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise CAError(f"{cert_path} is not a maskproxy CA certificate; {_REGENERATE}")
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        raise CAError(
            f"{cert_path} is not a valid self-signed certificate; {_REGENERATE}"
        ) from None
    if datetime.now(UTC) >= cert.not_valid_after_utc:
        raise CAError(
            f"the CA certificate {cert_path} expired on "
            f"{cert.not_valid_after_utc:%Y-%m-%d}; {_REGENERATE}"
        )


def _permitted_of(cert: x509.Certificate, cert_path: Path) -> tuple[str, ...]:
    """The permitted dNSName subtrees of a stored CA; refuse one without name constraints."""
    try:
        constraints = cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    permitted: tuple[str, ...] = ()
    if constraints is not None and constraints.permitted_subtrees:
        permitted = tuple(
            sorted(
                name.value.lower()
                for name in constraints.permitted_subtrees
                if isinstance(name, x509.DNSName)
            )
        )
    if not permitted:
        # An unconstrained CA could sign for any site: never use one.
        raise CAError(f"the CA certificate {cert_path} has no DNS name constraints; {_REGENERATE}")
    return permitted
