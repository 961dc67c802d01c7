"""The dev profile does not rate-limit a loopback client (an evaluation loop on one's own
machine); prod does, and ``rate_limit.exempt_loopback = false`` turns it back on in dev.

Real ``ragmono serve`` processes, real loopback connections.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.live_server import LiveServer

TOKEN = "t" * 40
LIMIT = {"RAGMONO_RATE_LIMIT__DEFAULT": "3/minute"}


def _statuses(server: LiveServer, n: int) -> list[int]:
    headers = {"X-Service-Token": TOKEN}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
        return [http.get("/api/v1/collections").status_code for _ in range(n)]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({}, [200] * 8, id="dev-loopback-unlimited"),
        pytest.param(
            {"RAGMONO_RATE_LIMIT__EXEMPT_LOOPBACK": "false"},
            [200] * 3 + [429] * 5,
            id="dev-exemption-off",
        ),
        pytest.param(
            {"RAGMONO_PROFILE": "prod", "RAGMONO_AUTH__SERVICE_TOKENS": TOKEN},
            [200] * 3 + [429] * 5,
            id="prod-limits-loopback",
        ),
    ],
)
def test_loopback_limits_by_profile(
    env: dict[str, str], expected: list[int], tmp_path: Path
) -> None:
    server = LiveServer(tmp_path, {**LIMIT, **env}).start()
    try:
        assert _statuses(server, 8) == expected
    finally:
        server.stop()
