"""``maskproxy types`` lists every catalog type once, with its category and description.

The per-type examples run in Rust (``masking/core/src/recognizers/examples.rs``); this checks
the user-facing side of the same table: the real command, run as a subprocess, against the
catalog the engine reports through ``masking.engine.types()``. The line layout may grow
columns (context kinds), so a line is checked by its first word and by what it contains.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.launcher import clean_env, run_cli

from masking.engine import TypeInfo, types


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The lines of ``maskproxy types``, by their first word (the type name)."""
    state = Path(tmp_path_factory.mktemp("rule-rows")) / "state"
    res = run_cli("types", env=clean_env(state))
    assert res.returncode == 0, res.stderr
    lines: dict[str, list[str]] = {}
    for line in res.stdout.splitlines():
        if line.strip():
            lines.setdefault(line.split()[0], []).append(line)
    return lines


CATALOG: list[TypeInfo] = types()


def test_catalog_is_not_empty_and_names_are_unique() -> None:
    names = [t.name for t in CATALOG]
    assert len(names) > 100
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("info", CATALOG, ids=lambda t: t.name)
def test_types_lists_the_type_with_its_description(
    info: TypeInfo, listed: dict[str, list[str]]
) -> None:
    assert info.description.strip(), f"{info.name} has no description"
    lines = listed.get(info.name)
    assert lines is not None, f"{info.name} missing from `maskproxy types`"
    assert len(lines) == 1, f"{info.name} listed {len(lines)} times"
    words = lines[0].split()
    assert info.category in words[1:], lines[0]
    assert info.description in lines[0], lines[0]


def test_types_lists_nothing_beyond_the_catalog(listed: dict[str, list[str]]) -> None:
    assert set(listed) == {t.name for t in CATALOG}
