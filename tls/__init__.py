"""TLS for maskproxy: the local CA, per-host leaf certificates, server and upstream contexts.

Imports only :mod:`ssl` and ``cryptography``. Public surface:

* :class:`CertificateAuthority` (:mod:`tls.ca`): the name-constrained CA in the state
  directory, with :class:`CAError` and :class:`CAConstraintError`.
* :class:`LeafCertCache` and :func:`served_hostname` (:mod:`tls.leaf`): server-side contexts
  presenting a leaf for the client's SNI name.
* :func:`alpn_protocols`, :func:`harden_server_context`, :func:`upstream_context`
  (:mod:`tls.contexts`).
* :func:`permitted_subtrees`, :func:`normalize_hostname` (:mod:`tls.names`).
"""

from .ca import CAConstraintError, CAError, CertificateAuthority
from .contexts import alpn_protocols, harden_server_context, upstream_context
from .leaf import LeafCertCache, served_hostname
from .names import normalize_hostname, permitted_subtrees

__all__ = [
    "CAConstraintError",
    "CAError",
    "CertificateAuthority",
    "LeafCertCache",
    "alpn_protocols",
    "harden_server_context",
    "normalize_hostname",
    "permitted_subtrees",
    "served_hostname",
    "upstream_context",
]
