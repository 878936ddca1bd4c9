"""RuleConfig.from_dict: the [masking] table of the TOML config, and its error messages."""

from __future__ import annotations

import pytest

from masking.catalog import CATALOG
from masking.rules import RuleConfig


def test_from_dict_full() -> None:
    cfg = RuleConfig.from_dict(
        {
            "disable": ["ipv4_private"],
            "terms": ["Acme", "*.corp.example.com"],
            "allowlist": ["10.0.0.1"],
            "regex": [{"name": "ticket", "pattern": "TCK-[0-9]+"}],
        }
    )
    assert cfg.disabled == frozenset({"ipv4_private"})
    assert cfg.terms == ("Acme", "*.corp.example.com")
    assert cfg.regexes == (("ticket", "TCK-[0-9]+"),)
    assert cfg.allowlist == ("10.0.0.1",)


def test_empty_table_is_the_default() -> None:
    assert RuleConfig.from_dict({}) == RuleConfig()
    assert RuleConfig().resend_cache_mb == 64


def test_resend_cache_size_and_off() -> None:
    assert RuleConfig.from_dict({"resend_cache_mb": 0}).resend_cache_mb == 0
    assert RuleConfig.from_dict({"resend_cache_mb": 256}).resend_cache_mb == 256


def test_user_regex_types_can_be_disabled() -> None:
    cfg = RuleConfig.from_dict(
        {"regex": [{"name": "t", "pattern": "x[0-9]"}], "disable": ["user_regex:t"]}
    )
    assert "user_regex:t" in cfg.disabled


@pytest.mark.parametrize(
    "table,message",
    [
        ({"disabled": ["ipv4_private"]}, "unknown key"),
        ({"disable": ["no_such_type"]}, "unknown type"),
        ({"disable": "ipv4_private"}, "array of strings"),
        ({"terms": [1]}, "array of strings"),
        ({"terms": [""]}, "empty term"),
        ({"terms": ["*."]}, "empty term"),
        ({"regex": [{"name": "x", "pattern": "("}]}, "invalid RE2"),
        ({"regex": [{"name": "x", "pattern": "a*"}]}, "empty string"),
        ({"regex": [{"name": "x"}]}, "pattern"),
        ({"regex": [{"name": "has space", "pattern": "a"}]}, "name"),
        ({"regex": [{"name": "x", "pattern": "a", "flags": "i"}]}, "unknown key"),
        ({"regex": [{"name": "x", "pattern": "a"}, {"name": "x", "pattern": "b"}]}, "duplicate"),
        ({"regex": {"name": "x"}}, "array of tables"),
        ({"regex": ["x"]}, "table"),
        ({"resend_cache_mb": -1}, "resend_cache_mb"),
        ({"resend_cache_mb": "64"}, "resend_cache_mb"),
        ({"resend_cache_mb": True}, "resend_cache_mb"),
    ],
)
def test_errors_say_what_is_wrong(table: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RuleConfig.from_dict(table)


def test_catalog_sizes_and_categories() -> None:
    cats: dict[str, int] = {}
    for info in CATALOG.values():
        cats[info.category] = cats.get(info.category, 0) + 1
        assert info.name and info.description and info.shape in ("classwise", "hex", "ipv4", "ipv6")
    assert cats["aws"] >= 60
    assert cats["secret"] >= 60
    assert cats["network"] >= 3
    assert cats["user"] >= 2
