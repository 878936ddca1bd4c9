"""Shared test fixtures: a test-owned CA, local upstream servers, the proxy launcher, clients.

Everything here runs on loopback only and cleans up after itself. The test CA is separate from
maskproxy's own CA: it plays the role of the public PKI that real upstreams are signed by.
"""
