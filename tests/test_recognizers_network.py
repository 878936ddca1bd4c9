"""IPv4/IPv6 addresses and CIDR blocks, and what must never be taken for one."""

from __future__ import annotations

import pytest
from engine_strategies import found, scan


@pytest.mark.parametrize(
    "addr,rtype",
    [
        ("10.20.30.40", "ipv4_private"),
        ("172.16.5.4", "ipv4_private"),
        ("192.168.100.7", "ipv4_private"),
        ("100.72.1.9", "ipv4_private"),
        ("54.201.17.88", "ipv4_public"),
        ("3.120.44.201", "ipv4_public"),
        ("203.0.113.25", "ipv4_public"),  # documentation ranges stand in for public addresses
    ],
)
def test_ipv4_kinds(addr: str, rtype: str) -> None:
    assert found(f"from {addr} port 22") == [(rtype, addr)]
    assert found(f'"PrivateIpAddress": "{addr}"') == [(rtype, addr)]
    assert found(f"line\\n{addr}\\n") == [(rtype, addr)]


def test_ipv4_shape() -> None:
    (f,) = scan(b"54.201.17.88")
    assert f.shape == "ipv4"


def test_cidr_blocks_keep_the_prefix_length() -> None:
    assert found("CidrBlock 10.12.0.0/16 ok") == [("cidr_block", "10.12.0.0")]
    assert found('"CidrIp": "52.94.76.0/22"') == [("cidr_block", "52.94.76.0")]


@pytest.mark.parametrize(
    "text",
    [
        "127.0.0.1",
        "0.0.0.0",
        "0.0.0.0/0",
        "255.255.255.0",
        "224.0.0.251",
        "169.254.169.254",
        "8.8.8.8",
        "1.1.1.1",
        "12.1.0.2.v21",  # engine version followed by .word
        "1.3.6.1.4.1.311.21.7",  # an OID
        "version 10.4.12.1",
        "v10.4.12.1",
        "2.5.4.3",  # all single digits: an OID or a version far more often than an address
        "1.2.3.4.5",
        "10.0.0.256",
        "010.001.002.003",
        "a10.0.0.1",
        "10.0.0.1x",
    ],
)
def test_ipv4_never_touched(text: str) -> None:
    assert found(text) == []


def test_ipv6_in_address_context() -> None:
    assert found('"Ipv6Address": "2600:1f18:40a1:7c00::3b"') == [
        ("ipv6_address", "2600:1f18:40a1:7c00::3b")
    ]
    assert found('"Ipv6CidrBlock": "2600:1f16:409:6700::/56"') == [
        ("ipv6_cidr_block", "2600:1f16:409:6700::")
    ]
    assert found("inet6 2a05:d018:1c2:e600:5ee1:9d2c:4f1:22a0/64 scope global") == [
        ("ipv6_cidr_block", "2a05:d018:1c2:e600:5ee1:9d2c:4f1:22a0")
    ]
    (f,) = scan(b'"Ipv6Address": "2600:1f18:40a1:7c00::3b"')
    assert f.shape == "ipv6"


@pytest.mark.parametrize(
    "text",
    [
        "2001:db8::1 appears in the docs",
        "::1",
        "time 12:34:56",
        "std::vector<int> v;",
        '"Ipv6Address": "::1"',
        "a:b:c",
    ],
)
def test_ipv6_near_misses(text: str) -> None:
    assert found(text) == []


def test_an_address_after_a_word_ending_in_v() -> None:
    assert found("dev 10.220.232.147 and xv 10.1.2.3") == [
        ("ipv4_private", "10.220.232.147"),
        ("ipv4_private", "10.1.2.3"),
    ]
    assert found("10.220.232.147/000 path") == [("ipv4_private", "10.220.232.147")]


def test_words_ending_in_ver_are_not_versions() -> None:
    assert found("dns server 10.20.30.40") == [("ipv4_private", "10.20.30.40")]
