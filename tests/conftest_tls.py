"""Helpers for the tls tests: real TLS servers on 127.0.0.1, clients, certificate builders.

Imported explicitly by ``tests/test_tls_*.py`` (pytest puts ``tests/`` on ``sys.path``);
it defines no fixtures, so it does not need to be a conftest plugin.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tls import served_hostname

# A safety net so that a broken handshake fails a test instead of hanging it; no test
# asserts anything about time.
IO_TIMEOUT = 15.0

HTTP_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


@dataclass
class Served:
    """What the server side saw of one connection."""

    hostname: str | None = None
    version: str | None = None
    cipher: str | None = None
    alpn: str | None = None
    error: BaseException | None = None


class TLSServer:
    """A TLS server on 127.0.0.1 that handshakes every connection with ``context``.

    With ``http=True`` it then answers one HTTP/1.1 request with ``200 ok``. Connections are
    handled one at a time in a background thread; :meth:`wait` returns the records of the
    first ``n`` of them once they are complete.
    """

    def __init__(self, context: ssl.SSLContext, *, http: bool = False) -> None:
        self.context = context
        self.http = http
        self.results: list[Served] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)  # poll interval for the stop flag, not a deadline
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> TLSServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(IO_TIMEOUT)
        self._listener.close()

    def wait(self, n: int = 1) -> list[Served]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.results) >= n, IO_TIMEOUT):
                raise AssertionError(f"server saw {len(self.results)} connections, expected {n}")
            return list(self.results[:n])

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            record = Served()
            conn.settimeout(IO_TIMEOUT)
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    record.hostname = served_hostname(tls)
                    record.version = tls.version()
                    cipher = tls.cipher()
                    record.cipher = cipher[0] if cipher else None
                    record.alpn = tls.selected_alpn_protocol()
                    if self.http:
                        self._answer(tls)
            except (OSError, ssl.SSLError) as exc:
                record.error = exc
            finally:
                conn.close()
            with self._cond:
                self.results.append(record)
                self._cond.notify_all()

    @staticmethod
    def _answer(tls: ssl.SSLSocket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = tls.recv(4096)
            if not chunk:
                return
            request += chunk
        tls.sendall(HTTP_OK)


@dataclass
class ClientResult:
    peer_der: bytes
    version: str | None
    cipher: str | None
    alpn: str | None

    @property
    def peer_cert(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.peer_der)


def tls_connect(port: int, context: ssl.SSLContext, server_hostname: str | None) -> ClientResult:
    """Handshake with 127.0.0.1:``port``; raises what the handshake raises."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        cipher = tls.cipher()
        return ClientResult(
            peer_der=der,
            version=tls.version(),
            cipher=cipher[0] if cipher else None,
            alpn=tls.selected_alpn_protocol(),
        )


def verifying_client(cafile: Path, *, alpn: Sequence[str] = ()) -> ssl.SSLContext:
    """A client context with default verification that trusts only ``cafile``."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


def sans(cert: x509.Certificate) -> list[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return ext.value.get_values_for_type(x509.DNSName)


# ------------------------------------------------------------------ certificate builders


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def load_ca_key(state_dir: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key((state_dir / "ca-key.pem").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def forge_leaf(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    leaf_key: ec.EllipticCurvePrivateKey,
    *,
    dns: str | None = None,
    ip: str | None = None,
) -> x509.Certificate:
    """Sign a well-formed server leaf with the CA key directly, bypassing ``permits``.

    Same profile as the CA's own leaves, so a rejection can only come from the name
    constraints.
    """
    names: list[x509.GeneralName] = []
    if dns is not None:
        names.append(x509.DNSName(dns))
    if ip is not None:
        names.append(x509.IPAddress(ipaddress.ip_address(ip)))
    now = datetime.now(UTC)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns or ip or "x")]))
        .issuer_name(ca_cert.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
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
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def self_signed(hostname: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A self-signed certificate for ``hostname``, as a private upstream might present."""
    key = new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return cert, key


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def write_pem(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(pem(cert))
    return path


def server_context_for(
    directory: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> ssl.SSLContext:
    """A plain (Python default) server context presenting ``cert``."""
    chain = directory / f"chain-{cert.serial_number:x}.pem"
    chain.write_bytes(
        pem(cert)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain)
    return ctx


# ------------------------------------------------------------------ external verifiers


def openssl_verify(
    cafile: Path, leaf: Path, hostname: str | None
) -> subprocess.CompletedProcess[str]:
    """``openssl verify -x509_strict`` of ``leaf`` against ``cafile`` as a TLS server cert,
    for ``hostname`` when given."""
    check_name = ["-verify_hostname", hostname] if hostname is not None else []
    return subprocess.run(
        [
            "openssl",
            "verify",
            "-x509_strict",
            "-purpose",
            "sslserver",
            *check_name,
            "-CAfile",
            str(cafile),
            str(leaf),
        ],
        capture_output=True,
        text=True,
        timeout=IO_TIMEOUT,
    )


def tool(name: str) -> str | None:
    return shutil.which(name)


NODE_GET = r"""
const https = require('https');
const [port, host] = process.argv.slice(1);
https.get({host: '127.0.0.1', port: Number(port), servername: host, path: '/',
           headers: {Host: host}}, (res) => {
  let body = '';
  res.on('data', (d) => { body += d; });
  res.on('end', () => { console.log(`STATUS ${res.statusCode} ${body}`); });
}).on('error', (e) => { console.log(`ERROR ${e.code} ${e.message}`); process.exitCode = 2; });
"""


def node_get(node: str, cafile: Path, port: int, host: str) -> subprocess.CompletedProcess[str]:
    """Run an ``https.get`` in Node trusting ``cafile`` through ``NODE_EXTRA_CA_CERTS``."""
    env = {"PATH": "/usr/bin:/bin", "NODE_EXTRA_CA_CERTS": str(cafile)}
    return subprocess.run(
        [node, "-e", NODE_GET, str(port), host],
        capture_output=True,
        text=True,
        env=env,
        timeout=IO_TIMEOUT,
    )


def curl_get(curl: str, cafile: Path, port: int, host: str) -> subprocess.CompletedProcess[str]:
    """``curl --cacert`` against 127.0.0.1:``port`` under the name ``host`` (no proxy)."""
    return subprocess.run(
        [
            curl,
            "-q",  # ignore any ~/.curlrc
            "-sS",
            "--noproxy",
            "*",
            "--cacert",
            str(cafile),
            "--resolve",
            f"{host}:{port}:127.0.0.1",
            f"https://{host}:{port}/",
        ],
        capture_output=True,
        text=True,
        timeout=IO_TIMEOUT,
    )
