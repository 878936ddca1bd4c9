"""The ``maskproxy`` command: ``run``, ``ca``, ``env``, ``check`` and the masking commands."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proxy import cli_masking
from proxy.accesslog import setup_logging
from proxy.config import (
    DEFAULT_INTERCEPT,
    DEFAULT_LISTEN,
    LIMIT_FLAGS,
    LOG_FORMATS,
    LOG_LEVELS,
    ConfigError,
    Limits,
    ProxyConfig,
    is_loopback,
    parse_listen,
    resolve_config,
)

if TYPE_CHECKING:
    import asyncio

    from tls import CertificateAuthority

# The proxy's runtime (asyncio, TLS, cryptography) is imported by the commands that need it,
# so that `maskproxy mask` and `scan` (run once per file by a pre-commit hook) start quickly.


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("maskproxy")
    except PackageNotFoundError:
        return "unknown"


def _add_config_flags(p: argparse.ArgumentParser, *, full: bool) -> None:
    g = p.add_argument_group("configuration")
    g.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="TOML config file (default: $XDG_CONFIG_HOME/maskproxy/config.toml, else "
        "/etc/maskproxy/config.toml, when present); flags override it",
    )
    g.add_argument(
        "--state-dir",
        metavar="DIR",
        help="where the CA lives (default: $STATE_DIRECTORY under systemd, else "
        "$XDG_STATE_HOME/maskproxy, i.e. ~/.local/state/maskproxy)",
    )
    g.add_argument(
        "--intercept",
        action="append",
        metavar="HOST",
        help="host to intercept and mask: exact name or *.suffix; repeat for more "
        f"(default: {', '.join(DEFAULT_INTERCEPT)}); replaces the config file's list",
    )
    if not full:
        return
    g.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help=f"address to listen on (default: {DEFAULT_LISTEN}); a non-loopback address "
        "requires --auth-file",
    )
    g.add_argument(
        "--gateway",
        metavar="URL",
        help="gateway mode: serve plain HTTP and forward every request to this https:// "
        "upstream (e.g. https://api.anthropic.com) through the masking pipeline",
    )
    g.add_argument(
        "--block-others",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="answer 403 to CONNECT for hosts that are not intercepted (default: tunnel them)",
    )
    g.add_argument(
        "--http2",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="offer HTTP/2 (ALPN h2) to intercepted clients and to upstreams, each side "
        "falling back to HTTP/1.1 (default: on); --no-http2 speaks HTTP/1.1 only",
    )
    g.add_argument(
        "--auth-file",
        metavar="FILE",
        help="require Proxy-Authorization: Basic with a user:password line from FILE "
        "(not readable by other users)",
    )
    g.add_argument(
        "--allow-local-targets",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="off loopback, let blind tunnels and plain-HTTP forwards reach this host's "
        "loopback (127.0.0.0/8, ::1) and link-local (169.254.0.0/16, fe80::/10) addresses, "
        "by address or by any name resolving to one (default: refused with 403; a proxy "
        "listening on loopback always allows them)",
    )
    g.add_argument(
        "--metrics-listen",
        metavar="HOST:PORT",
        help="serve the status counters as Prometheus text on http://HOST:PORT/metrics "
        "(default: off)",
    )
    g.add_argument(
        "--upstream-ca",
        action="append",
        metavar="FILE",
        help="extra PEM CA certificates to trust for upstreams, besides the system store "
        "(repeatable); verification cannot be turned off",
    )
    g.add_argument(
        "--connect-to",
        action="append",
        metavar="HOST:PORT:HOST2:PORT2",
        help="dial HOST2:PORT2 instead of HOST:PORT, still verifying HOST (as curl's "
        "--connect-to; repeatable; applies to tunnels too)",
    )
    g.add_argument("--log-level", choices=LOG_LEVELS, help="default: info")
    g.add_argument("--log-format", choices=LOG_FORMATS, help="default: text")
    d = Limits()
    lim = p.add_argument_group("limits")
    lim.add_argument(
        "--max-header-bytes",
        type=int,
        metavar="N",
        help=f"largest request head; larger gets 431 (default: {d.max_header_bytes})",
    )
    lim.add_argument(
        "--max-body-bytes",
        type=int,
        metavar="N",
        help="largest intercepted request body; larger gets 413, before forwarding when "
        f"Content-Length says so (default: {d.max_body_bytes})",
    )
    lim.add_argument(
        "--connect-timeout",
        type=float,
        metavar="SEC",
        help="upstream connect and TLS handshake; also the client handshake; timeout gets "
        f"504 (default: {d.connect_timeout:g})",
    )
    lim.add_argument(
        "--read-timeout",
        type=float,
        metavar="SEC",
        help="longest silence of an upstream (504) or of a client mid-request (408) "
        f"(default: {d.read_timeout:g})",
    )
    lim.add_argument(
        "--head-timeout",
        type=float,
        metavar="SEC",
        help="a whole request head (CONNECT included) must arrive within this, however slowly "
        f"its bytes trickle in; else 408 and the connection closes (default: {d.head_timeout:g})",
    )
    lim.add_argument(
        "--idle-timeout",
        type=float,
        metavar="SEC",
        help=f"close a keep-alive connection idle this long (default: {d.idle_timeout:g})",
    )
    lim.add_argument(
        "--max-connections",
        type=int,
        metavar="N",
        help="simultaneous client connections; more get 503 and are closed "
        f"(default: {d.max_connections})",
    )
    lim.add_argument(
        "--max-concurrent-streams",
        type=int,
        metavar="N",
        help="HTTP/2 streams a client may have open at once on one connection "
        f"(default: {d.max_concurrent_streams})",
    )


_OVERRIDES = (
    "listen",
    "intercept",
    "block_others",
    "http2",
    "gateway",
    "auth_file",
    "allow_local_targets",
    "state_dir",
    "log_level",
    "log_format",
    "metrics_listen",
    "upstream_ca",
    "connect_to",
    *LIMIT_FLAGS,
)


def _config_loader(args: argparse.Namespace) -> Callable[[], ProxyConfig]:
    overrides: dict[str, Any] = {k: getattr(args, k, None) for k in _OVERRIDES}
    return lambda: resolve_config(args.config, overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="maskproxy",
        description="Local intercepting HTTPS proxy that masks infrastructure identifiers and "
        "secrets in LLM API requests and restores them in the responses.",
    )
    parser.add_argument("--version", action="version", version=f"maskproxy {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the proxy",
        description="Run the proxy in the foreground: a forward proxy for HTTPS_PROXY "
        "(default) or, with --gateway, a plain-HTTP gateway for ANTHROPIC_BASE_URL. "
        "SIGHUP reloads the config file and intercept list; SIGTERM stops gracefully.",
    )
    _add_config_flags(run, full=True)
    run.set_defaults(func=cmd_run)

    ca = sub.add_parser(
        "ca",
        help="create the CA if absent and print its certificate path",
        description="Create maskproxy's CA in the state directory if there is none, check it "
        "against the intercept list, and print the certificate's path (or, with --pem, the "
        "certificate itself).",
    )
    _add_config_flags(ca, full=False)
    ca.add_argument("--pem", action="store_true", help="print the PEM certificate, not its path")
    ca.add_argument(
        "--regenerate",
        action="store_true",
        help="replace the CA with a new key and certificate for the current intercept list "
        "(clients must trust the new certificate)",
    )
    ca.set_defaults(func=cmd_ca)

    env = sub.add_parser(
        "env",
        help="print export lines that wire Claude Code to this proxy",
        description="Print shell export lines for Claude Code: HTTPS_PROXY and "
        "NODE_EXTRA_CA_CERTS (forward mode, creating the CA if absent) or ANTHROPIC_BASE_URL "
        '(gateway mode), and CLAUDE_CODE_ATTRIBUTION_HEADER=0. Use: eval "$(maskproxy env)"',
    )
    _add_config_flags(env, full=True)
    env.set_defaults(func=cmd_env)

    check = sub.add_parser(
        "check",
        help="validate the configuration and the CA; exit 1 on any problem",
        description="Validate the config file and flags, the auth file, the upstream CA "
        "files, and the CA (key permissions, validity, name constraints against the intercept "
        "list) without starting the proxy or creating anything. Exit 0 when all is well.",
    )
    _add_config_flags(check, full=True)
    check.set_defaults(func=cmd_check)

    cli_masking.register(sub)
    return parser


def _fail(message: str) -> int:
    print(f"maskproxy: {message}", file=sys.stderr)
    return 1


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    from proxy.server import serve

    load = _config_loader(args)
    try:
        config = load()
    except ConfigError as exc:
        return _fail(str(exc))
    setup_logging(config.log_level, config.log_format)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(serve(config, load))


def _ca_for(config: ProxyConfig) -> CertificateAuthority:
    from tls import CertificateAuthority

    return CertificateAuthority.load_or_create(config.state_dir, config.intercept)


def cmd_ca(args: argparse.Namespace) -> int:
    from tls import CAError, CertificateAuthority

    try:
        config = _config_loader(args)()
        if args.regenerate:
            ca = CertificateAuthority.regenerate(config.state_dir, config.intercept)
            print(
                f"maskproxy: new CA in {ca.cert_path}; clients must trust it now", file=sys.stderr
            )
        else:
            ca = _ca_for(config)
    except (ConfigError, CAError) as exc:
        return _fail(str(exc))
    if args.pem:
        sys.stdout.write(ca.cert_pem.decode())
    else:
        print(ca.cert_path)
    return 0


def _client_host(host: str) -> str:
    """The address a local client dials for a listener bound to ``host``."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def cmd_env(args: argparse.Namespace) -> int:
    from tls import CAError

    try:
        config = _config_loader(args)()
        host, port = parse_listen(config.listen)
        url = f"http://{_client_host(host)}:{port}"
        lines = []
        if config.auth_file is not None:
            lines.append(
                "# proxy authentication is on: put USER:PASSWORD@ after http:// in "
                + ("ANTHROPIC_BASE_URL" if config.gateway else "HTTPS_PROXY")
            )
        if config.gateway:
            lines.append(f"export ANTHROPIC_BASE_URL={shlex.quote(url)}")
        else:
            ca = _ca_for(config)
            lines.append(f"export HTTPS_PROXY={shlex.quote(url)}")
            lines.append(f"export NODE_EXTRA_CA_CERTS={shlex.quote(str(ca.cert_path))}")
        # A masked body no longer matches Claude Code's body hash in the billing line; this
        # makes Claude Code leave that line out instead of sending a wrong one.
        lines.append("export CLAUDE_CODE_ATTRIBUTION_HEADER=0")
    except (ConfigError, CAError) as exc:
        return _fail(str(exc))
    print("\n".join(lines))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from proxy.runtime import StartupError, load_auth, make_upstream_context
    from tls import CAConstraintError, CAError, CertificateAuthority

    problems: list[str] = []

    def ok(what: str, detail: str) -> None:
        print(f"ok    {what}: {detail}")

    try:
        config = _config_loader(args)()
    except ConfigError as exc:
        print(f"FAIL  config: {exc}")
        return 1
    ok("config", str(config.config_path) if config.config_path else "no file, defaults and flags")
    host, _ = parse_listen(config.listen)
    ok("listen", config.listen + ("" if is_loopback(host) else " (non-loopback, auth required)"))
    try:
        auth = load_auth(config)
        if auth is not None:
            ok("auth-file", str(config.auth_file))
        make_upstream_context(config)
        ok(
            "upstream TLS",
            "verified; extra CAs: " + (", ".join(map(str, config.upstream_ca)) or "none"),
        )
    except StartupError as exc:
        problems.append(str(exc))
    try:
        # The rules only: building the whole pipeline would create the masking key.
        from masking.engine import Engine
        from masking.rules import RuleConfig

        Engine(bytes(32), RuleConfig.from_dict(config.masking))
        ok("masking rules", "valid" if config.masking else "defaults")
    except ValueError as exc:
        problems.append(f"masking rules: {exc}")
    if config.gateway:
        ok("mode", f"gateway to {config.gateway} (no CA needed)")
    else:
        ok("mode", f"forward proxy intercepting {', '.join(config.intercept)}")
        try:
            CertificateAuthority.load(config.state_dir)
        except CAError as exc:
            if (config.state_dir / "ca.pem").exists() or (config.state_dir / "ca-key.pem").exists():
                problems.append(f"CA: {exc}")
            else:
                ok(
                    "CA",
                    f"none yet in {config.state_dir}; `maskproxy run` or `maskproxy ca` creates it",
                )
        else:
            try:
                # The CA exists, so this only loads it and checks the name constraints.
                ca = _ca_for(config)
                ok("CA", f"{ca.cert_path}, permits {', '.join(ca.permitted)}")
            except CAConstraintError as exc:
                problems.append(f"CA: {exc}")
            except CAError as exc:
                problems.append(f"CA: {exc}")
    for problem in problems:
        print(f"FAIL  {problem}")
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args) or 0)
    except BrokenPipeError:
        # The reader went away (`maskproxy types | head`): not an error of ours. Point stdout
        # at /dev/null so that the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
