"""The user's own rules from RuleConfig, through the engine: terms, domain globs, regexes,
allowlist, disable."""

from __future__ import annotations

from engine_strategies import KEY_A

from masking.engine import Engine
from masking.rules import RuleConfig


def found(rules: RuleConfig, text: str) -> list[tuple[str, str]]:
    """What an engine with ``rules`` (and nothing known yet) masks in ``text``."""
    data = text.encode()
    return [(f.rtype, data[f.start : f.end].decode()) for f in Engine(KEY_A, rules).scan(data)]


def test_terms_match_whole_words_case_insensitively() -> None:
    s = RuleConfig(terms=("Quillfeather", "Project Nimbus"))
    assert found(s, "ask quillfeather about PROJECT NIMBUS") == [
        ("user_term", "quillfeather"),
        ("user_term", "PROJECT NIMBUS"),
    ]
    assert found(s, "quillfeathers") == []  # glued to a letter
    assert found(s, "quillfeather-corp") == [("user_term", "quillfeather")]


def test_terms_after_a_json_escape() -> None:
    s = RuleConfig(terms=("Quillfeather",))
    assert found(s, '"text": "hi\\nQuillfeather"') == [("user_term", "Quillfeather")]


def test_non_ascii_terms() -> None:
    s = RuleConfig(terms=("Brûlée Labs",))
    assert found(s, "for Brûlée Labs only") == [("user_term", "Brûlée Labs")]


def test_domain_glob_covers_the_domain_and_its_hosts() -> None:
    s = RuleConfig(terms=("*.corp.example.com",))
    assert found(s, "ssh build-7.eu.corp.example.com now") == [
        ("user_domain", "build-7.eu.corp.example.com")
    ]
    assert found(s, "https://corp.example.com/x") == [("user_domain", "corp.example.com")]
    assert found(s, "notcorp.example.com") == []
    assert found(s, "\\nci.corp.example.com") == [("user_domain", "ci.corp.example.com")]


def test_user_regex() -> None:
    s = RuleConfig(regexes=(("ticket", r"TCK-[0-9]{6}"),))
    assert found(s, "see TCK-004211 and TCK-99") == [("user_regex:ticket", "TCK-004211")]


def test_user_regex_never_cuts_an_escape() -> None:
    s = RuleConfig(regexes=(("word", r"n[a-z]+"),))
    data = b"x\\nabc"
    for f in Engine(KEY_A, s).scan(data):
        assert data[f.start - 1 : f.start] != b"\\"


def test_allowlist_keeps_exact_values() -> None:
    acct = "480116523007"
    s = RuleConfig(allowlist=(acct, "10.9.8.7"))
    assert found(s, f'"OwnerId": "{acct}" 10.9.8.7 10.9.8.6') == [("ipv4_private", "10.9.8.6")]
    assert found(s, f"arn:aws:iam::{acct}:role/app-x") == [("aws_iam_name", "app-x")]


def test_disable_a_type() -> None:
    s = RuleConfig(disabled=frozenset({"ipv4_private", "aws_iam_name"}))
    out = found(s, "10.1.2.3 54.201.17.88 arn:aws:iam::480116523007:role/app-x")
    assert out == [("ipv4_public", "54.201.17.88"), ("aws_account_id", "480116523007")]


def test_user_rules_win_a_tie_with_builtins() -> None:
    s = RuleConfig(regexes=(("inst", r"i-[0-9a-f]{17}"),))
    assert found(s, "i-0123456789abcdef0") == [("user_regex:inst", "i-0123456789abcdef0")]
