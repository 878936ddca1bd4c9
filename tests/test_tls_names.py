"""Host name rules of the CA: normalisation, intercept patterns, dNSName subtrees."""

from __future__ import annotations

import pytest

from tls.names import (
    is_ip_literal,
    name_in_subtree,
    normalize_hostname,
    permitted_subtrees,
    subtree_for_pattern,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("api.anthropic.com", "api.anthropic.com"),
        ("API.Anthropic.COM", "api.anthropic.com"),
        ("api.anthropic.com.", "api.anthropic.com"),
        ("localhost", "localhost"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("build_01.corp.example.com", "build_01.corp.example.com"),
    ],
)
def test_normalize_hostname(raw: str, expected: str) -> None:
    assert normalize_hostname(raw) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        ".",
        "127.0.0.1",
        "::1",
        "[::1]",
        "1.2.3",
        "foo..com",
        ".foo.com",
        "-foo.com",
        "foo-.com",
        "*.foo.com",
        "foo.com:443",
        "https://foo.com",
        "bücher.example",
        "a" * 64 + ".com",
        ".".join(["a" * 60] * 5),
    ],
)
def test_normalize_hostname_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        normalize_hostname(bad)


def test_ip_literals() -> None:
    assert is_ip_literal("10.0.0.1")
    assert is_ip_literal("[2001:db8::1]")
    assert not is_ip_literal("10.0.0.1.example.com")


@pytest.mark.parametrize(
    ("pattern", "subtree"),
    [
        ("api.anthropic.com", "api.anthropic.com"),
        ("*.corp.example.com", "corp.example.com"),
        ("  *.Corp.Example.COM ", "corp.example.com"),
    ],
)
def test_subtree_for_pattern(pattern: str, subtree: str) -> None:
    assert subtree_for_pattern(pattern) == subtree


@pytest.mark.parametrize("bad", ["*", "*.", "api.*.com", "*.*.com", "a*.com", "10.1.2.3", ""])
def test_subtree_for_pattern_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        subtree_for_pattern(bad)


def test_permitted_subtrees_minimal_and_sorted() -> None:
    assert permitted_subtrees(
        ["api.anthropic.com", "*.corp.example.com", "git.corp.example.com", "API.anthropic.com"]
    ) == ("api.anthropic.com", "corp.example.com")
    assert permitted_subtrees(["api.anthropic.com", "*.anthropic.com"]) == ("anthropic.com",)
    assert permitted_subtrees("api.anthropic.com") == ("api.anthropic.com",)


def test_permitted_subtrees_refuses_empty() -> None:
    with pytest.raises(ValueError):
        permitted_subtrees([])


@pytest.mark.parametrize(
    ("name", "subtree", "inside"),
    [
        ("example.com", "example.com", True),
        ("api.example.com", "example.com", True),
        ("a.b.example.com", "example.com", True),
        ("badexample.com", "example.com", False),
        ("example.com", "api.example.com", False),
        ("example.com.evil", "example.com", False),
    ],
)
def test_name_in_subtree(name: str, subtree: str, inside: bool) -> None:
    assert name_in_subtree(name, subtree) is inside
