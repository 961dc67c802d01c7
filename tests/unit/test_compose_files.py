"""The compose file for a Qdrant cluster parses and describes a cluster ragmono can use.

Docker cannot run here, so this checks what a typo would break: YAML, Raft bootstrap wiring,
host ports matching the documented URLs, a supported Qdrant version and the app's settings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ragmono.adapters.qdrant.remote.checks import MIN_QDRANT_VERSION, parse_version
from ragmono.settings import load_settings

COMPOSE = Path(__file__).parents[2] / "config" / "compose" / "qdrant-cluster.yml"


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_three_raft_nodes_join_the_first() -> None:
    services = compose()["services"]
    nodes = {name: svc for name, svc in services.items() if name.startswith("qdrant-")}
    assert sorted(nodes) == ["qdrant-1", "qdrant-2", "qdrant-3"]
    for name, svc in nodes.items():
        command = svc["command"]
        assert command[command.index("--uri") + 1] == f"http://{name}:6335"
        assert svc["environment"]["QDRANT__CLUSTER__ENABLED"] == "true"
        assert svc["environment"]["QDRANT__CLUSTER__P2P__PORT"] == "6335"
        assert svc["volumes"] == [f"{name}:/qdrant/storage"]
        if name == "qdrant-1":
            assert "--bootstrap" not in command
        else:
            assert command[command.index("--bootstrap") + 1] == "http://qdrant-1:6335"
            assert svc["depends_on"]["qdrant-1"]["condition"] == "service_healthy"
        assert "readyz" in " ".join(svc["healthcheck"]["test"])


def test_the_image_is_a_supported_qdrant() -> None:
    image = compose()["services"]["qdrant-1"]["image"]
    default = re.search(r":-v?([\d.]+)\}$", image)
    assert default is not None, image
    version = parse_version(default.group(1))
    assert version is not None
    assert version >= MIN_QDRANT_VERSION


def test_documented_urls_match_the_published_ports_and_the_app_settings() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    services = compose()["services"]
    published = sorted(
        int(p.split(":")[0])
        for name in ("qdrant-1", "qdrant-2", "qdrant-3")
        for p in services[name]["ports"]
        if p.endswith(":6333")
    )
    documented = re.search(r"RAGMONO_TEST_QDRANT_URLS=(\S+)", text)
    assert documented is not None
    assert sorted(int(u.rsplit(":", 1)[1]) for u in documented.group(1).split(",")) == published

    app = services["ragmono"]
    settings = load_settings(None, {k: str(v) for k, v in app["environment"].items()})
    assert settings.vector_store.mode == "cluster"
    assert settings.vector_store.urls == [f"http://qdrant-{i}:6333" for i in (1, 2, 3)]
    assert settings.redis.url == "redis://redis:6379/0"
    assert set(app["depends_on"]) == {"qdrant-1", "qdrant-2", "qdrant-3", "redis"}
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
