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

    from proxy.service_state import ServiceState
    from tls import CertificateAuthority

# The proxy's runtime (asyncio, TLS, cryptography) is imported by the commands that need it,
# so that `maskproxy mask` and `scan` (run once per file by a pre-commit hook) start quickly.


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("maskproxy")
    except PackageNotFoundError:
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked for (reading the
    package metadata costs every other command's start-up)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"maskproxy {_version()}")
        parser.exit()


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
    g.add_argument(
        "--upstream-proxy",
        metavar="URL",
        help="send every upstream connection (intercepted, tunnelled, forwarded) through this "
        "HTTP proxy with CONNECT: http://host:port (a corporate proxy); no credentials in it",
    )
    g.add_argument(
        "--upstream-proxy-auth-file",
        metavar="FILE",
        help="a user:password line (mode 0600) for the upstream proxy's Proxy-Authorization",
    )
    g.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        help="default: info; debug adds the effective configuration at start, each intercepted "
        "connection's TLS version and protocol, and the upstream proxy's answers (never a value)",
    )
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
    "upstream_proxy",
    "upstream_proxy_auth_file",
    *LIMIT_FLAGS,
)


def _config_loader(args: argparse.Namespace) -> Callable[[], ProxyConfig]:
    overrides: dict[str, Any] = {k: getattr(args, k, None) for k in _OVERRIDES}
    if overrides["state_dir"] is not None:
        # Absolute, so that what `env` prints and `run` publishes works from any directory.
        overrides["state_dir"] = str(Path(overrides["state_dir"]).expanduser().absolute())
    return lambda: resolve_config(args.config, overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="maskproxy",
        description="Local intercepting HTTPS proxy that masks infrastructure identifiers and "
        "secrets in LLM API requests and restores them in the responses.",
    )
    parser.add_argument("--version", action=_VersionAction)
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

    status = sub.add_parser(
        "status",
        help="say whether this shell's traffic to the API would be masked, and prove it",
        description="Read this shell's environment as Claude Code does (https_proxy before "
        "HTTPS_PROXY, NO_PROXY/no_proxy, NODE_EXTRA_CA_CERTS) and, for each intercepted host, "
        "send a canary through the proxy it names: CONNECT, TLS verified against the CA it "
        "gives Node, and a status request that only maskproxy answers. Exit 0 only when "
        "traffic from this environment would be masked; else 1, with the reason and the fix.",
    )
    _add_config_flags(status, full=False)
    status.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    status.add_argument(
        "--timeout", type=float, default=5.0, metavar="SEC", help="per canary (default: 5)"
    )
    status.set_defaults(func=cmd_status)

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

    from proxy.allocator import fix_thresholds
    from proxy.server import serve
    from tls import CAError

    load = _config_loader(args)
    try:
        config = load()
        if config.gateway is None:
            # Here rather than in the server, so that a refusal names the flags to fix it with.
            _ca_for(config)
    except ConfigError as exc:
        return _fail(str(exc))
    except CAError as exc:
        return _fail(f"CA in {config.state_dir}: {_with_regenerate_hint(str(exc), args)}")
    setup_logging(config.log_level, config.log_format)
    _log_config(config)
    fix_thresholds()
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(serve(config, load))


def _log_config(config: ProxyConfig) -> None:
    """At debug level, the effective configuration (and the file it was read from), without
    a value of the ``[masking]`` table: user terms are sensitive, their count is not."""
    import logging

    from proxy.accesslog import log

    if not log.isEnabledFor(logging.DEBUG):
        return
    lim = config.limits
    masking = config.masking
    log.debug(
        "config: file=%s state_dir=%s listen=%s mode=%s http2=%s block_others=%s "
        "upstream_ca=%d connect_to=%d upstream_proxy=%s",
        config.config_path or "none",
        config.state_dir,
        config.listen,
        f"gateway:{config.gateway}" if config.gateway else "forward:" + ",".join(config.intercept),
        config.http2,
        config.block_others,
        len(config.upstream_ca),
        len(config.connect_to),
        config.upstream_proxy or "none",
    )
    log.debug(
        "limits: max_header_bytes=%d max_body_bytes=%d connect=%gs read=%gs idle=%gs head=%gs "
        "max_connections=%d max_concurrent_streams=%d",
        lim.max_header_bytes,
        lim.max_body_bytes,
        lim.connect_timeout,
        lim.read_timeout,
        lim.idle_timeout,
        lim.head_timeout,
        lim.max_connections,
        lim.max_concurrent_streams,
    )
    log.debug(
        "masking: %d user terms, %d user regexes, %d allowlisted, disabled types: %s",
        len(masking.get("terms", ())),
        len(masking.get("regex", ())),
        len(masking.get("allowlist", ())),
        ",".join(masking.get("disable", ())) or "none",
    )


def _ca_for(config: ProxyConfig) -> CertificateAuthority:
    from tls import CertificateAuthority

    return CertificateAuthority.load_or_create(config.state_dir, config.intercept)


_REGENERATE = "maskproxy ca --regenerate"


def _regenerate_command(args: argparse.Namespace) -> str:
    """``maskproxy ca --regenerate`` with the flags that chose this state dir and intercept
    list, so that the new CA is made for the list that was refused (not the default one)."""
    argv = ["maskproxy", "ca", "--regenerate"]
    if getattr(args, "config", None) is not None:
        argv += ["--config", str(args.config)]
    if getattr(args, "state_dir", None) is not None:
        argv += ["--state-dir", str(Path(args.state_dir).expanduser().absolute())]
    for host in getattr(args, "intercept", None) or ():
        argv += ["--intercept", host]
    return shlex.join(argv)


def _with_regenerate_hint(message: str, args: argparse.Namespace) -> str:
    """``message`` with its ``maskproxy ca --regenerate`` advice completed by the user's flags."""
    return message.replace(f"`{_REGENERATE}`", f"`{_regenerate_command(args)}`")


def cmd_ca(args: argparse.Namespace) -> int:
    from tls import CAError, CertificateAuthority
    from tls.ca import CA_CERT_FILE, CA_KEY_FILE
    from tls.statedir import give_to_directory_owner

    service = _running_service(args)
    if service is not None and not args.regenerate:
        # The service's own CA, as it published it (its state directory is private).
        try:
            pem = service.ca_path.read_text()
        except OSError as exc:
            return _fail(f"the running service's CA {service.ca_path}: {exc.strerror or exc}")
        if args.pem:
            sys.stdout.write(pem)
        else:
            print(service.ca_path)
        return 0
    try:
        config = _service_config(args, service) if service else _config_loader(args)()
        if args.regenerate:
            ca = CertificateAuthority.regenerate(config.state_dir, config.intercept)
            # Under sudo for the system service: the files must stay the service user's.
            give_to_directory_owner(config.state_dir, [CA_CERT_FILE, CA_KEY_FILE, ".ca.lock"])
            print(
                f"maskproxy: new CA in {ca.cert_path} for {', '.join(config.intercept)}; clients "
                "must trust it now. A running proxy keeps the old CA until it is reloaded "
                "(`systemctl reload maskproxy`, or `kill -HUP` its process) or restarted.",
                file=sys.stderr,
            )
        else:
            ca = _ca_for(config)
    except (ConfigError, CAError) as exc:
        return _fail(_with_regenerate_hint(str(exc), args))
    except OSError as exc:
        hint = "; the service's state directory is root's to change: use sudo" if service else ""
        return _fail(f"cannot write the CA: {exc.strerror or exc}{hint}")
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


_LOCATION_FLAGS = ("config", "state_dir", "listen", "gateway")


def _running_service(args: argparse.Namespace) -> ServiceState | None:
    """The running maskproxy service to describe, unless a flag names another set-up."""
    if any(getattr(args, name, None) is not None for name in _LOCATION_FLAGS):
        return None
    from proxy.service_state import find_service

    return find_service()


def _auth_hint(gateway: bool) -> str:
    if gateway:
        # Node refuses credentials in a base URL and curl answers them with 407: the gateway
        # takes the header itself.
        return (
            "proxy authentication is on: also export ANTHROPIC_CUSTOM_HEADERS="
            "'Proxy-Authorization: Basic BASE64' (BASE64: printf %s USER:PASSWORD | base64)"
        )
    return "proxy authentication is on: put USER:PASSWORD@ after http:// in the *_PROXY lines"


def cmd_env(args: argparse.Namespace) -> int:
    from proxy import envwire
    from proxy.config import default_state_dir
    from tls import CAError

    lines: list[str] = []
    notes: list[str] = []
    try:
        service = _running_service(args)
        if service is not None:
            where = "system" if service.is_system else "user"
            notes.append(
                f"wired to the running maskproxy {where} service (pid {service.pid}, "
                f"{service.runtime_dir})"
            )
            url = f"http://{service.listen}"
            gateway = service.gateway is not None
            intercept = service.intercept
            bundle_dir = default_state_dir().absolute()
            ca_path = service.ca_path
            if not gateway and not ca_path.is_file():
                return _fail(f"the running service published no CA certificate at {ca_path}")
        else:
            config = _config_loader(args)()
            host, port = parse_listen(config.listen)
            url = f"http://{_client_host(host)}:{port}"
            gateway = config.gateway is not None
            intercept = config.intercept
            bundle_dir = config.state_dir
            if config.auth_file is not None:
                notes.append(_auth_hint(gateway))
            ca_path = _ca_for(config).cert_path if not gateway else Path()
        if gateway:
            lines.append(envwire.export("ANTHROPIC_BASE_URL", url))
        else:
            ca_file, warning = envwire.ca_file_for(
                os.environ.get(envwire.CA_VAR), ca_path.absolute(), bundle_dir
            )
            if warning:
                notes.append(warning)
            forward, removed = envwire.forward_lines(url, ca_file, intercept, os.environ)
            lines += forward
            if removed:
                notes.append(
                    "NO_PROXY/no_proxy entries that would send the intercepted hosts around "
                    "maskproxy are left out: " + ", ".join(removed)
                )
        # A masked body no longer matches Claude Code's body hash in the billing line; this
        # makes Claude Code leave that line out instead of sending a wrong one.
        lines.append("export CLAUDE_CODE_ATTRIBUTION_HEADER=0")
    except (ConfigError, CAError) as exc:
        return _fail(_with_regenerate_hint(str(exc), args))
    except OSError as exc:
        return _fail(f"cannot write the CA bundle: {exc.strerror or exc}")
    for note in notes:
        print(f"maskproxy: {note}", file=sys.stderr)
    print("\n".join(lines))
    return 0


def _status_hosts(args: argparse.Namespace) -> list[str]:
    """The exact host names of the intercept list in effect (the service's when one runs);
    ``*.suffix`` patterns name no host a canary could ask."""
    service = _running_service(args)
    if service is not None:
        patterns: tuple[str, ...] = service.intercept
    else:
        try:
            patterns = _config_loader(args)().intercept
        except ConfigError:
            patterns = DEFAULT_INTERCEPT
    return [p for p in patterns if not p.startswith("*.")] or list(DEFAULT_INTERCEPT)


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from proxy.status_client import check_environment, describe

    results = check_environment(os.environ, _status_hosts(args), args.timeout)
    masked = all(r.masked for r in results)
    if args.json:
        doc = {"masked": masked, "hosts": [r.to_json() for r in results]}
        print(json.dumps(doc, indent=2))
    else:
        for result in results:
            print("\n".join(describe(result)))
        if not masked:
            print("Traffic from this environment would NOT be masked.")
    return 0 if masked else 1


def _service_config(args: argparse.Namespace, service: ServiceState) -> ProxyConfig:
    """The configuration of a running service: its config file and state directory, with
    this command's other flags on top."""
    overrides: dict[str, Any] = {k: getattr(args, k, None) for k in _OVERRIDES}
    overrides["state_dir"] = str(service.state_dir)
    return resolve_config(service.config_path, overrides, search_default=False)


def _check_listen(config: ProxyConfig, service: ServiceState | None) -> str | None:
    """Bind the listen address as ``run`` would (and let it go); the problem, or None."""
    import errno
    import socket

    host, port = parse_listen(config.listen)
    if port == 0:
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"listen {config.listen}: {exc.strerror}"
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE and service is not None:
                    return None  # the running service holds it
                hint = (
                    " (another process listens there: a running maskproxy? "
                    "`maskproxy status` tells; else choose another --listen)"
                    if exc.errno == errno.EADDRINUSE
                    else ""
                )
                return f"listen {config.listen}: {exc.strerror or exc}{hint}"
    return None


def cmd_check(args: argparse.Namespace) -> int:
    from masking.keyfile import KEY_FILE, KeyFileError, read_key
    from proxy.runtime import StartupError, load_auth, make_upstream_context
    from tls import CAConstraintError, CAError, CertificateAuthority

    problems: list[str] = []

    def ok(what: str, detail: str) -> None:
        print(f"ok    {what}: {detail}")

    service = _running_service(args)
    try:
        config = _service_config(args, service) if service else _config_loader(args)()
    except ConfigError as exc:
        print(f"FAIL  config: {exc}")
        return 1
    if service is not None:
        if not os.access(service.state_dir, os.R_OK | os.X_OK):
            print(
                f"FAIL  service: running (pid {service.pid}); its state dir {service.state_dir} "
                "is private to the service's user: `sudo maskproxy check` checks it"
            )
            return 1
        ok("service", f"running (pid {service.pid}); checking its state in {service.state_dir}")
    ok("config", str(config.config_path) if config.config_path else "no file, defaults and flags")
    host, _ = parse_listen(config.listen)
    listen_problem = _check_listen(config, service)
    if listen_problem:
        problems.append(listen_problem)
    else:
        ok(
            "listen",
            config.listen + ("" if is_loopback(host) else " (non-loopback, auth required)"),
        )
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
    problem = _check_upstream_proxy(config)
    if problem:
        problems.append(problem)
    elif config.upstream_proxy:
        ok("upstream proxy", config.upstream_proxy)
    try:
        # The rules only: building the whole pipeline would create the masking key.
        from masking.engine import Engine
        from masking.rules import RuleConfig

        Engine(bytes(32), RuleConfig.from_dict(config.masking))
        ok("masking rules", "valid" if config.masking else "defaults")
    except ValueError as exc:
        problems.append(f"masking rules: {exc}")
    key_path = config.state_dir / KEY_FILE
    if key_path.exists():
        try:
            read_key(key_path)
            ok("masking key", str(key_path))
        except KeyFileError as exc:
            problems.append(f"masking key: {exc}")
    else:
        ok("masking key", f"none yet in {config.state_dir}; `maskproxy run` creates it")
    writable = _nearest_existing(config.state_dir)
    if not os.access(writable, os.W_OK) and not (config.state_dir / KEY_FILE).exists():
        problems.append(
            f"state dir {config.state_dir}: {writable} is not writable; `maskproxy run` could "
            "not create the masking key and the CA there (--state-dir, or fix its owner)"
        )
    if config.gateway:
        ok("mode", f"gateway to {config.gateway} (no CA needed)")
    else:
        ok("mode", f"forward proxy intercepting {', '.join(config.intercept)}")
        try:
            CertificateAuthority.load(config.state_dir)
        except CAError as exc:
            if (config.state_dir / "ca.pem").exists() or (config.state_dir / "ca-key.pem").exists():
                problems.append(f"CA: {_with_regenerate_hint(str(exc), args)}")
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
            except (CAConstraintError, CAError) as exc:
                problems.append(f"CA: {_with_regenerate_hint(str(exc), args)}")
    for problem in problems:
        print(f"FAIL  {problem}")
    return 1 if problems else 0


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_upstream_proxy(config: ProxyConfig) -> str | None:
    from proxy.upstream_proxy import UpstreamProxyError, load_upstream_proxy

    try:
        load_upstream_proxy(config.upstream_proxy, config.upstream_proxy_auth_file)
    except UpstreamProxyError as exc:
        return str(exc)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`maskproxy types | head`): not an error of ours. Point stdout
        # at /dev/null so that the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        if os.environ.get("MASKPROXY_TRACEBACK") == "1":
            raise
        # The class, not the text: an exception's text can quote the input it choked on.
        print(
            f"maskproxy: unexpected {type(exc).__name__}; this is a bug (MASKPROXY_TRACEBACK=1 "
            "shows where it happened)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
