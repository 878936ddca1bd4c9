"""Shared fixtures: the test CA, local upstreams, and a running maskproxy.

``proxy`` is one maskproxy process for the whole session, routed with ``--connect-to`` to
``upstream`` (a TLS server for api.anthropic.com) and ``tunnel_upstream`` (a TLS server for
tunnel.test, which is not intercepted). Tests that need other flags start their own with
``start_proxy``. ``upstream.reset()`` runs before every test, so handlers and recordings do
not leak from one test to the next.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import settings
from support.launcher import ProxyProcess
from support.testca import TestCA
from support.upstream import FakeUpstream
from support.upstream_h2 import H2Upstream

# In CI the property tests draw the same examples on every run, so a red build is reproducible
# and never a coin toss; run locally, they draw new ones each time and keep finding cases.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

API_HOST = "api.anthropic.com"
TUNNEL_HOST = "tunnel.test"


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("testca"))


@pytest.fixture(scope="session")
def _session_upstream(test_ca: TestCA) -> Iterator[FakeUpstream]:
    with FakeUpstream(test_ca.issue(API_HOST, "other.anthropic.com")) as up:
        yield up


@pytest.fixture
def upstream(_session_upstream: FakeUpstream) -> FakeUpstream:
    """TLS upstream for api.anthropic.com (echo handler unless a test sets another)."""
    _session_upstream.reset()
    return _session_upstream


@pytest.fixture(scope="module")
def h2_upstream(test_ca: TestCA) -> Iterator[H2Upstream]:
    """HTTP/2 TLS upstream for api.anthropic.com (one per test module)."""
    with H2Upstream(test_ca.issue(API_HOST)) as up:
        yield up


Upstream = FakeUpstream | H2Upstream


@pytest.fixture(params=["h1-upstream", "h2-upstream"])
def any_upstream(
    request: pytest.FixtureRequest, upstream: FakeUpstream, h2_upstream: H2Upstream
) -> Upstream:
    """Each test runs against the HTTP/1.1 and the HTTP/2 upstream."""
    if request.param == "h1-upstream":
        return upstream
    h2_upstream.reset()
    return h2_upstream


@pytest.fixture(scope="session")
def _session_tunnel_upstream(test_ca: TestCA) -> Iterator[FakeUpstream]:
    with FakeUpstream(test_ca.issue(TUNNEL_HOST)) as up:
        yield up


@pytest.fixture
def tunnel_upstream(_session_tunnel_upstream: FakeUpstream) -> FakeUpstream:
    """TLS upstream for tunnel.test, a host maskproxy does not intercept."""
    _session_tunnel_upstream.reset()
    return _session_tunnel_upstream


@pytest.fixture(scope="session")
def _session_plain_upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(None) as up:
        yield up


@pytest.fixture
def plain_upstream(_session_plain_upstream: FakeUpstream) -> FakeUpstream:
    """Plain-HTTP upstream: the shared proxy routes plain.test:80 and api.anthropic.com:80 here."""
    _session_plain_upstream.reset()
    return _session_plain_upstream


def routing_args(test_ca: TestCA, *upstreams: tuple[str, FakeUpstream]) -> list[str]:
    """``--connect-to`` each (host, upstream) and trust the test CA upstream."""
    args = ["--upstream-ca", str(test_ca.cert_path)]
    for host, up in upstreams:
        args += ["--connect-to", f"{host}:443:127.0.0.1:{up.port}"]
    return args


StartProxy = Callable[..., ProxyProcess]


@pytest.fixture(scope="session")
def _proxies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ProxyProcess]]:
    started: list[ProxyProcess] = []
    yield started
    for p in started:
        p.stop()


def _starter(base: Path, started: list[ProxyProcess]) -> StartProxy:
    counter = [0]

    def start(
        args: Sequence[str] = (),
        *,
        state_dir: Path | None = None,
        host: str = "127.0.0.1",
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> ProxyProcess:
        counter[0] += 1
        state = state_dir or base / f"state{counter[0]}"
        proc = ProxyProcess(
            list(args),
            state_dir=state,
            log_path=base / f"proxy{counter[0]}.log",
            host=host,
            env=env,
        )
        started.append(proc)
        return proc.start() if wait else proc

    return start


@pytest.fixture
def start_proxy(tmp_path: Path) -> Iterator[StartProxy]:
    """Start a maskproxy with extra flags; stopped at the end of the test."""
    started: list[ProxyProcess] = []
    yield _starter(tmp_path, started)
    for p in started:
        p.stop()


@pytest.fixture(scope="session")
def proxy(
    tmp_path_factory: pytest.TempPathFactory,
    test_ca: TestCA,
    _session_upstream: FakeUpstream,
    _session_tunnel_upstream: FakeUpstream,
    _session_plain_upstream: FakeUpstream,
    _proxies: list[ProxyProcess],
) -> ProxyProcess:
    """The shared maskproxy: intercepts api.anthropic.com, tunnels tunnel.test."""
    base = tmp_path_factory.mktemp("proxy")
    args = routing_args(
        test_ca, (API_HOST, _session_upstream), (TUNNEL_HOST, _session_tunnel_upstream)
    )
    plain = _session_plain_upstream.port
    args += ["--connect-to", f"plain.test:80:127.0.0.1:{plain}"]
    args += ["--connect-to", f"{API_HOST}:80:127.0.0.1:{plain}"]
    return _starter(base, _proxies)(args)
