"""The Dockerfile and the compose files are well formed and refer to things that exist.

No Docker engine runs here, so nothing is built: the Dockerfile is parsed instruction by
instruction, the compose files as YAML with compose's interpolation, and every path, console
script, service name and ``RAGMONO_*`` setting they name is checked against the repository.
The container's entry point is also run for real (outside a container) with the image's
environment, so a command that cannot start is caught here rather than in production.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from ragmono.cli import main as cli_main
from ragmono.lifespan import build_edge
from ragmono.settings import load_settings
from tests.support.deploy_files import (
    Instruction,
    dockerignored,
    env_of,
    interpolate,
    parse_dockerfile,
    read_dockerignore,
)
from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "config" / "compose"
STAGES = parse_dockerfile((REPO / "Dockerfile").read_text(encoding="utf-8"))
RUNTIME = STAGES[-1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
# What an operator exports before `docker compose up` (the files require it).
OPERATOR_ENV = {"RAGMONO_SERVICE_TOKENS": "5f" * 32}  # as `openssl rand -hex 32` prints


def _all(stage: list[Instruction], keyword: str) -> list[Instruction]:
    return [ins for ins in stage if ins.keyword == keyword]


def _last(stage: list[Instruction], keyword: str) -> Instruction:
    found = _all(stage, keyword)
    assert found, f"no {keyword} in the runtime stage"
    return found[-1]


def _workdir_at(stage: list[Instruction], line: int) -> PurePosixPath:
    workdir = PurePosixPath("/")
    for ins in stage:
        if ins.keyword == "WORKDIR" and ins.line < line:
            workdir = workdir / ins.args[0]
    return workdir


def _image_path_to_repo(container_path: str) -> Path | None:
    """The repository file a runtime-stage COPY put at ``container_path``, if any."""
    target = PurePosixPath(container_path)
    for ins in _all(RUNTIME, "COPY"):
        if "from" in ins.flags:
            continue
        *sources, dest = ins.args
        root = _workdir_at(RUNTIME, ins.line) / dest
        for source in sources:
            if target == root or root in target.parents:
                return REPO / source / target.relative_to(root)
    return None


# -- Dockerfile ---------------------------------------------------------------------------------


def test_dockerfile_has_a_build_stage_and_a_runtime_stage_on_the_same_python() -> None:
    assert len(STAGES) >= 2, "multi-stage: build, then a runtime without build tools"
    froms = [stage[0] for stage in STAGES]
    assert all(f.keyword == "FROM" for f in froms)
    bases = {f.args[0] for f in froms}
    assert len(bases) == 1, f"the venv is copied between stages, so one Python: {bases}"
    assert "slim" in froms[-1].args[0]


def test_install_is_locked_and_leaves_out_dev_tools() -> None:
    runs = " ; ".join(ins.text for stage in STAGES[:-1] for ins in _all(stage, "RUN"))
    assert "uv sync --frozen --no-dev --no-editable" in runs
    copied = {a for stage in STAGES[:-1] for ins in _all(stage, "COPY") for a in ins.args[:-1]}
    assert {"pyproject.toml", "uv.lock"} <= copied


def test_every_copied_source_exists_and_is_in_the_build_context() -> None:
    ignore = read_dockerignore(REPO / ".dockerignore")
    for stage in STAGES:
        for ins in _all(stage, "COPY") + _all(stage, "ADD"):
            if "from" in ins.flags:
                continue  # copied from another stage, not from the repository
            for source in ins.args[:-1]:
                assert (REPO / source).exists(), f"line {ins.line}: {source} does not exist"
                assert not dockerignored(source, ignore), f"{source} is in .dockerignore"


def test_runtime_runs_as_a_created_non_root_user() -> None:
    user = _last(RUNTIME, "USER").args[0].split(":")[0]
    assert user not in ("root", "0")
    created = " ".join(ins.text for ins in _all(RUNTIME, "RUN"))
    assert "useradd" in created
    assert user in created.split()


@contextlib.contextmanager
def _answering(status: int) -> Iterator[tuple[int, list[str]]]:
    """A loopback HTTP server answering every GET with ``status``; yields its port and paths."""
    paths: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths.append(self.path)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], paths
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_healthcheck_asks_health_on_the_served_port() -> None:
    check = _last(RUNTIME, "HEALTHCHECK")
    assert check.args[0] == "CMD"
    assert check.exec_form
    assert check.args[1] in ("python", "python3"), "the slim image has no curl or wget"
    port = load_settings(None, env_of(RUNTIME)).server.port
    assert str(port) in _last(RUNTIME, "EXPOSE").args
    assert f"'{port}'" in check.args[-1], "defaults to the image's port"
    # Run the check itself against a real server on the port RAGMONO_SERVER__PORT names.
    for status, healthy in ((200, True), (503, False)):
        with _answering(status) as (server_port, paths):
            result = subprocess.run(
                [sys.executable, *check.args[2:]],
                env={**os.environ, "RAGMONO_SERVER__PORT": str(server_port)},
                capture_output=True,
                timeout=10,
            )
        assert paths == ["/health"]
        assert (result.returncode == 0) is healthy, result.stderr
    assert {"interval", "timeout", "retries"} <= set(check.flags)


def test_entrypoint_is_the_installed_console_script_with_a_shipped_config() -> None:
    entry = _last(RUNTIME, "ENTRYPOINT")
    assert entry.exec_form, "exec form, so the server gets SIGTERM directly"
    script, command, *options = entry.args
    assert script in PYPROJECT["project"]["scripts"]
    assert command in cli_main.commands  # type: ignore[attr-defined]
    config = options[options.index("--config") + 1]
    on_disk = _image_path_to_repo(config)
    assert on_disk is not None, f"{config} is not copied into the image"
    assert on_disk.is_file(), on_disk
    load_settings(on_disk, env_of(RUNTIME))


def test_image_environment_is_valid_settings_with_data_in_the_volume() -> None:
    env = env_of(RUNTIME)
    settings = load_settings(None, env)
    assert settings.server.host == "0.0.0.0"  # reachable from outside the container
    assert _last(RUNTIME, "VOLUME").args == [settings.storage.data_dir]
    assert settings.backup.dir.startswith(settings.storage.data_dir + "/")


@pytest.mark.slow
def test_the_entrypoint_command_serves_health(tmp_path: Path) -> None:
    # Outside a container: the image's environment, but loopback, a free port and a temp dir.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGMONO_")}
    env.update(env_of(RUNTIME))
    env.pop("PATH")
    env["PATH"] = os.environ["PATH"]
    port = free_port()
    env.update(
        RAGMONO_SERVER__HOST="127.0.0.1",
        RAGMONO_SERVER__PORT=str(port),
        RAGMONO_STORAGE__DATA_DIR=str(tmp_path / "data"),
        RAGMONO_BACKUP__DIR=str(tmp_path / "data" / "backups"),
    )
    script, *args = _last(RUNTIME, "ENTRYPOINT").args
    config = _image_path_to_repo(args[args.index("--config") + 1])
    args[args.index("--config") + 1] = str(config)
    executable = str(Path(sys.executable).with_name(script))
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [executable, *args], env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        status = None
        for _ in range(300):
            if proc.poll() is not None:
                break
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code
                break
            except httpx.TransportError:
                subprocess.run(["sleep", "0.1"], check=True)
        assert proc.poll() is None, log.read_text()
        assert status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


# -- compose ------------------------------------------------------------------------------------


def _compose_files() -> list[Path]:
    return sorted(COMPOSE.glob("*.yml"))


def _load_compose(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), path
    assert isinstance(doc.get("services"), dict), path
    return dict(interpolate(doc, OPERATOR_ENV))


COMPOSE_FILES = [p for p in _compose_files() if "services" in p.read_text(encoding="utf-8")]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_file_refers_to_files_services_and_volumes_that_exist(path: Path) -> None:
    doc = _load_compose(path)
    services = doc["services"]
    named = set(doc.get("volumes") or {})
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        if build := service.get("build"):
            context = path.parent / (build if isinstance(build, str) else build["context"])
            dockerfile = (
                build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
            )
            assert (context / dockerfile).is_file(), f"{name}: no {dockerfile} in {context}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (path.parent / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in named, f"{name}: volume {source} is not declared"
        for dependency in service.get("depends_on") or {}:
            assert dependency in services, f"{name} depends on unknown {dependency}"


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_every_ragmono_variable_in_compose_is_a_valid_setting(path: Path) -> None:
    for name, service in _load_compose(path)["services"].items():
        env = {k: v for k, v in _environment(service).items() if k.startswith("RAGMONO_")}
        if env:
            load_settings(None, env)  # raises naming any unknown key or bad value
            assert name


STACK = _load_compose(COMPOSE / "stack.yml")
STACK_SERVICES: dict[str, Any] = STACK["services"]
RAGMONO_ENV = _environment(STACK_SERVICES["ragmono"])


def test_stack_has_the_whole_production_stack_with_health_checks() -> None:
    expected = {"ragmono", "redis", "qdrant-1", "qdrant-2", "qdrant-3", "ollama"}
    assert expected | {"prometheus", "grafana"} <= set(STACK_SERVICES)
    for name, service in STACK_SERVICES.items():
        if service.get("restart", "no") != "no":
            assert "healthcheck" in service, f"{name} runs for good but has no healthcheck"
    assert STACK_SERVICES["ragmono"]["build"]["context"] == "../.."


async def test_stack_points_ragmono_at_the_stack_services() -> None:
    settings = load_settings(None, RAGMONO_ENV)
    assert settings.profile == "prod"
    await build_edge(settings).aclose()  # prod refuses to start without valid auth settings
    assert settings.vector_store.mode == "cluster"
    hosts = {urlsplit(u).hostname for u in settings.vector_store.urls}
    assert hosts == {"qdrant-1", "qdrant-2", "qdrant-3"}
    assert urlsplit(settings.redis.url).hostname == "redis"
    assert urlsplit(settings.ollama.url).hostname == "ollama"
    assert settings.generator.provider == "ollama"
    pulled = STACK_SERVICES["ollama-pull"]["entrypoint"]
    assert pulled[-1] == settings.generator.model, "ollama-pull fetches the model ragmono asks for"
    volumes = STACK_SERVICES["ragmono"]["volumes"]
    assert any(v.split(":")[1] == env_of(RUNTIME)["RAGMONO_STORAGE__DATA_DIR"] for v in volumes)


def test_stack_qdrant_nodes_form_one_raft_cluster() -> None:
    nodes = ("qdrant-1", "qdrant-2", "qdrant-3")
    for node in nodes:
        service = STACK_SERVICES[node]
        assert service["environment"]["QDRANT__CLUSTER__ENABLED"] == "true"
        command = service["command"]
        assert command[command.index("--uri") + 1] == f"http://{node}:6335"
        if node != nodes[0]:
            assert command[command.index("--bootstrap") + 1] == f"http://{nodes[0]}:6335"
            assert node_depends_on_healthy(service, nodes[0])
    # The same node setup as the cluster-only compose file, where that file exists.
    cluster_file = COMPOSE / "qdrant-cluster.yml"
    if cluster_file.exists():
        cluster = _load_compose(cluster_file)["services"]
        for node in nodes:
            for key in ("image", "command", "environment", "healthcheck"):
                assert STACK_SERVICES[node].get(key) == cluster[node].get(key), f"{node} {key}"


def node_depends_on_healthy(service: dict[str, Any], other: str) -> bool:
    """Whether ``service`` waits for ``other`` to be healthy."""
    return bool(service.get("depends_on", {}).get(other, {}).get("condition") == "service_healthy")


def _mounts(service: str) -> dict[str, Path]:
    out = {}
    for volume in STACK_SERVICES[service]["volumes"]:
        source, dest = volume.split(":")[:2]
        if source.startswith("."):
            out[dest] = COMPOSE / source
    return out


def test_prometheus_scrapes_ragmono_and_loads_the_shipped_rules() -> None:
    mounts = _mounts("prometheus")
    config = yaml.safe_load(mounts["/etc/prometheus/prometheus.yml"].read_text(encoding="utf-8"))
    for rules in config["rule_files"]:
        assert f"/etc/prometheus/{rules}" in mounts, f"{rules} is not mounted"
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "ragmono")
    port = load_settings(None, RAGMONO_ENV).server.port
    assert job["static_configs"][0]["targets"] == [f"ragmono:{port}"]
    shipped = yaml.safe_load(
        (REPO / "config/prometheus/prometheus.yml").read_text(encoding="utf-8")
    )
    assert config["rule_files"] == shipped["rule_files"]
    assert {j["job_name"] for j in shipped["scrape_configs"]} <= {
        j["job_name"] for j in config["scrape_configs"]
    }, "alert rules select on the job name"


def test_grafana_gets_the_datasource_and_the_dashboard() -> None:
    mounts = _mounts("grafana")
    provisioning = mounts["/etc/grafana/provisioning"]
    datasource = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text("utf-8"))
    url = urlsplit(datasource["datasources"][0]["url"])
    assert url.hostname in STACK_SERVICES
    assert url.port == 9090
    provider = yaml.safe_load((provisioning / "dashboards/ragmono.yml").read_text("utf-8"))
    folder = provider["providers"][0]["options"]["path"]
    dashboards = [dest for dest in mounts if dest.startswith(folder + "/")]
    assert dashboards
    assert all(mounts[d].is_file() for d in dashboards)
