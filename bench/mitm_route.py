"""Route mitmproxy's upstream connections to the bench's local servers (its ``--connect-to``).

``BENCH_MITM_ROUTES="api.anthropic.com:443=127.0.0.1:4431,..."`` in mitmdump's environment.
The server address is rewritten just before mitmproxy connects; the SNI and the certificate
check still use the original name, as maskproxy's ``--connect-to`` does. Runs inside mitmproxy.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mitmproxy.proxy.server_hooks import ServerConnectionHookData


def parse_routes(spec: str) -> dict[tuple[str, int], tuple[str, int]]:
    routes: dict[tuple[str, int], tuple[str, int]] = {}
    for item in filter(None, spec.split(",")):
        src, dst = item.split("=")
        host, port = src.rsplit(":", 1)
        host2, port2 = dst.rsplit(":", 1)
        routes[(host, int(port))] = (host2, int(port2))
    return routes


class Route:
    def __init__(self) -> None:
        self.routes = parse_routes(os.environ.get("BENCH_MITM_ROUTES", ""))

    def server_connect(self, data: ServerConnectionHookData) -> None:
        address = data.server.address
        if address is not None and (dst := self.routes.get((address[0], address[1]))):
            if data.server.sni is None:
                data.server.sni = address[0]
            data.server.address = dst


addons = [Route()]
