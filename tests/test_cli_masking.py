"""`maskproxy mask`, `unmask`, `scan` and `types` as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from support.launcher import run_cli

INSTANCE = "i-0b7d3e9f1a2c45687"
KEY = "AKIAY6TRE4WQ2ZXC8VBN"
TEXT = f"stop {INSTANCE} now; creds {KEY} in ~/.aws\n"


def test_mask_then_unmask_across_two_calls(tmp_path: Path) -> None:
    state = str(tmp_path / "state")
    mapfile = tmp_path / "map.json"
    masked = run_cli("mask", "--state-dir", state, "--map-out", str(mapfile), input=TEXT.encode())
    assert masked.returncode == 0, masked.stderr
    assert len(masked.stdout) == len(TEXT)
    assert INSTANCE not in masked.stdout and KEY[4:] not in masked.stdout
    assert stat.S_IMODE(mapfile.stat().st_mode) == 0o600
    # the summary on stderr names types and counts, never values
    assert "aws_ec2_instance_id=1" in masked.stderr
    assert INSTANCE not in masked.stderr and KEY[4:] not in masked.stderr
    # a model's answer that repeats the surrogates, restored with the saved map
    answer = f"Done: {masked.stdout.split()[1]} is stopped."
    restored = run_cli("unmask", "--map", str(mapfile), input=answer.encode())
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout == f"Done: {INSTANCE} is stopped."
    # the same key gives the same surrogates on a second run
    again = run_cli("mask", "--state-dir", state, input=TEXT.encode())
    assert again.stdout == masked.stdout


def test_mask_json_keeps_structure_and_refuses_invalid_json(tmp_path: Path) -> None:
    state = str(tmp_path / "state")
    doc = {"Reservations": [{"Instances": [{"InstanceId": INSTANCE, "Count": 3}]}]}
    ok = run_cli("mask", "--state-dir", state, "--format", "json", input=json.dumps(doc).encode())
    got = json.loads(ok.stdout)
    assert got["Reservations"][0]["Instances"][0]["Count"] == 3
    assert got["Reservations"][0]["Instances"][0]["InstanceId"] != INSTANCE
    bad = run_cli(
        "mask",
        "--state-dir",
        state,
        "--format",
        "json",
        input=f'{{"id": "{INSTANCE}", oops}}'.encode(),
    )
    assert bad.returncode == 2
    assert "offset" in bad.stderr and INSTANCE not in bad.stderr and bad.stdout == ""


def test_unmask_without_a_readable_map_fails_clearly(tmp_path: Path) -> None:
    got = run_cli("unmask", "--map", str(tmp_path / "missing.json"), input=b"x")
    assert got.returncode == 2 and "cannot read map" in got.stderr


def test_scan_reports_path_line_column_type_never_the_value(tmp_path: Path) -> None:
    dirty = tmp_path / "deploy.sh"
    dirty.write_text("#!/bin/sh\n" + TEXT)
    clean = tmp_path / "README.txt"
    clean.write_text("nothing to see here, version 12.1.0.2\n")
    got = run_cli("scan", str(dirty), str(clean))
    assert got.returncode == 1
    lines = got.stdout.splitlines()
    assert f"{dirty}:2:{TEXT.index(INSTANCE) + 3}:aws_ec2_instance_id" in lines
    assert all(INSTANCE not in line and KEY[4:] not in line for line in lines)
    assert not any(str(clean) in line for line in lines)
    assert run_cli("scan", str(clean)).returncode == 0
    as_json = run_cli("scan", "--json", input=TEXT.encode())
    finding = json.loads(as_json.stdout.splitlines()[0])
    assert set(finding) == {"path", "line", "column", "type"}
    assert finding["line"] == 1 and finding["column"] == TEXT.index(INSTANCE) + 3


def test_mask_takes_files_and_reads_the_default_config(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config" / "maskproxy").mkdir(parents=True)
    (home / ".config" / "maskproxy" / "config.toml").write_text('[masking]\nterms = ["Initech"]\n')
    a = tmp_path / "a.txt"
    a.write_text(f"Initech runs {INSTANCE}\n")
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    got = run_cli("mask", str(a), env=env)
    assert got.returncode == 0, got.stderr
    assert len(got.stdout) == len(a.read_text())
    assert "Initech" not in got.stdout and INSTANCE not in got.stdout


def test_types_lists_every_type_with_a_description() -> None:
    got = run_cli("types")
    assert got.returncode == 0, got.stderr
    rows = {line.split()[0]: line for line in got.stdout.splitlines()}
    for name in ("aws_ec2_instance_id", "aws_account_id", "user_term", "ipv4_private"):
        assert name in rows and len(rows[name].split()) > 3


def test_user_rules_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[masking]\nterms = ["Initech", "*.corp.example.com"]\nallowlist = ["' + INSTANCE + '"]\n'
        '[[masking.regex]]\nname = "ticket"\npattern = "OPS-[0-9]{4}"\n'
    )
    text = f"Initech ticket OPS-1234 on db1.corp.example.com for {INSTANCE}"
    got = run_cli(
        "mask", "--state-dir", str(tmp_path / "s"), "--config", str(config), input=text.encode()
    )
    assert got.returncode == 0, got.stderr
    out = got.stdout
    assert "Initech" not in out and "OPS-1234" not in out and "db1.corp" not in out
    assert INSTANCE in out  # allowlisted
    bad = tmp_path / "bad.toml"
    bad.write_text('[masking]\ndisable = ["no_such_type"]\n')
    refused = run_cli("mask", "--state-dir", str(tmp_path / "s"), "--config", str(bad), input=b"")
    assert refused.returncode == 2 and "no_such_type" in refused.stderr


def test_mask_and_scan_load_no_proxy_runtime(tmp_path: Path) -> None:
    """``mask`` and ``scan`` run once per file from hooks and scripts: they must not load the
    proxy's runtime (asyncio, TLS, HTTP parsers) nor read package metadata to start."""
    import subprocess
    import sys

    probe = (
        "import sys; from proxy.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "heavy = ('asyncio', 'ssl', 'h11', 'h2', 'cryptography', 'importlib.metadata')\n"
        "sys.stderr.write('LOADED ' + ' '.join(m for m in heavy if m in sys.modules))\n"
    )
    for command in ("mask", "scan"):
        res = subprocess.run(
            [sys.executable, "-c", probe, command, "--state-dir", str(tmp_path / "state")],
            input=TEXT.encode(),
            capture_output=True,
            check=False,
        )
        assert b"LOADED" in res.stderr, res.stderr
        loaded = res.stderr.rsplit(b"LOADED", 1)[1].split()
        assert loaded == [], (command, loaded)
