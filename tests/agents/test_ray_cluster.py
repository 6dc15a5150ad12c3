"""``vecreward compare --backend ray --ray-address`` against a real two-node Ray cluster on this machine.

A head and a second worker node are started with ``ray start`` (subprocesses, free ports, their own temp dir, one
CPU each, token authentication with a fresh token) and stopped afterwards whatever happens: every process of the
two ``ray start`` sessions is killed by its session id, so no other Ray on the machine is touched (never
``ray stop``, which stops every Ray of the user).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GRID = ["compare", "--tasks", "probe", "--aggregators", "grpo", "--seeds", "2"]


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class Cluster:
    """A running local cluster: its head's address, its Ray Client address, the environment a driver needs."""

    address: str
    client_address: str
    env: dict[str, str]


def _ray_cli() -> str:
    """The ``ray`` command of this Python's environment (the nodes must run the driver's Python and packages)."""
    beside = Path(sys.executable).with_name("ray")
    found = str(beside) if beside.exists() else shutil.which("ray")
    if found is None:
        pytest.skip("no `ray` command beside this Python")
    return found


def _session_processes(sessions: set[int]) -> list[int]:
    """Pids of every live process whose session id is one of ``sessions``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp session ...
        if fields[0] != "Z" and int(fields[3]) in sessions:
            found.append(int(entry.name))
    return found


def _kill_sessions(sessions: set[int], grace: float = 3.0) -> None:
    """SIGTERM every process of ``sessions``, SIGKILL what is left after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        for pid in _session_processes(sessions):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while _session_processes(sessions) and time.monotonic() < deadline:
            time.sleep(0.1)


@contextmanager
def ray_cluster(nodes: int = 2, auth: str = "token") -> Iterator[Cluster]:
    """Start a head and ``nodes - 1`` worker nodes on 127.0.0.1 with ``ray start``; stop all of it on exit.

    Args:
        nodes: how many nodes, the head included; each has one CPU.
        auth: ``RAY_AUTH_MODE`` of the cluster: ``token`` (a fresh token, given in ``Cluster.env``) or ``disabled``.
    """
    tmp = Path(tempfile.mkdtemp(prefix="vr-ray-"))  # short: Ray's socket paths must stay under 108 characters
    env = {**os.environ, "RAY_AUTH_MODE": auth, "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    env.pop("RAY_AUTH_TOKEN_PATH", None)
    if auth == "token":
        env["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    else:
        env.pop("RAY_AUTH_TOKEN", None)
    port, client_port, *agent_ports = _free_ports(2 + nodes)
    address = f"127.0.0.1:{port}"
    common = ["--num-cpus", "1", "--node-ip-address", "127.0.0.1", "--temp-dir", str(tmp / "ray"),
              "--disable-usage-stats"]
    sessions: set[int] = set()
    try:
        for node in range(nodes):
            where = (["--head", "--port", str(port), "--ray-client-server-port", str(client_port),
                      "--include-dashboard=false"] if node == 0 else ["--address", address])
            command = [_ray_cli(), "start", *where, *common, "--dashboard-agent-listen-port", str(agent_ports[node])]
            with open(tmp / f"start{node}.log", "w") as log:
                start = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            sessions.add(start.pid)
            if start.wait(timeout=120) != 0:
                raise RuntimeError(f"ray start failed: {(tmp / f'start{node}.log').read_text()[-2000:]}")
        yield Cluster(address=address, client_address=f"ray://127.0.0.1:{client_port}", env=env)
    finally:
        _kill_sessions(sessions)
        shutil.rmtree(tmp, ignore_errors=True)


def _vecreward(*argv: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agents", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _finals(out: Path) -> dict:
    return {p.relative_to(out).as_posix(): json.loads(p.read_text())["final"]
            for p in sorted((out / "runs").glob("*/*/seed*/result.json"))}


def _table(out: Path) -> list[dict]:
    from agents.compare.report import read_table

    return [{k: v for k, v in row.items() if k != "wall_seconds"} for row in read_table(out / "results.csv")]


def test_two_node_cluster_gives_the_rows_of_the_local_pool(tmp_path) -> None:  # noqa: ANN001
    pytest.importorskip("ray")
    from agents.cli import main

    assert main([*GRID, "--out", str(tmp_path / "local"), "--jobs", "2"]) == 0
    with ray_cluster(nodes=2) as cluster:
        done = _vecreward(*GRID, "--out", str(tmp_path / "ray"), "--backend", "ray", "--ray-address",
                          cluster.address, env=cluster.env)
        assert done.returncode == 0, done.stdout + done.stderr
        # one run per node: each node has one CPU and the two runs are submitted together
        assert "ray: 2 run(s) ran on 2 of the cluster's 2 node(s) with CPUs" in done.stdout, done.stdout
        # a driver without the cluster's token, or with another one, is refused at once, in one line, and
        # nothing is written
        no_token = {k: v for k, v in cluster.env.items() if k not in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN")}
        for env, sent in ((no_token, "sent no token"), ({**cluster.env, "RAY_AUTH_TOKEN": "0" * 64},
                                                         "sent a token it does not accept")):
            started = time.perf_counter()
            refused = _vecreward(*GRID, "--out", str(tmp_path / "refused"), "--backend", "ray", "--ray-address",
                                 cluster.address, env=env, timeout=60)
            assert refused.returncode == 2 and time.perf_counter() - started < 15
            assert sent in refused.stdout and "RAY_AUTH_MODE=token" in refused.stdout
            assert len(refused.stdout.strip().splitlines()) == 1 and not refused.stderr.strip(), refused
            assert not (tmp_path / "refused").exists()
        _nodes_are_checked_before_any_run(cluster, tmp_path)
    local, on_cluster = _finals(tmp_path / "local"), _finals(tmp_path / "ray")
    assert len(local) == 2 and local == on_cluster  # bit-identical: same seeds, one thread, same code and CPU
    assert _table(tmp_path / "local") == _table(tmp_path / "ray")  # every metric of every step


def _nodes_are_checked_before_any_run(cluster: Cluster, tmp_path: Path) -> None:
    """Another vecreward version on a node, or an --out the nodes do not share: one line, nothing runs."""
    other_version = ("import sys; import agents.compare.ray_cluster as rc; rc.package_version = lambda: '9.9'; "
                     "from agents.cli import main; sys.exit(main(sys.argv[1:]))")  # patched here, not on the nodes
    done = subprocess.run([sys.executable, "-c", other_version, *GRID, "--out", str(tmp_path / "v"), "--backend",
                           "ray", "--ray-address", cluster.address], cwd=ROOT, env=cluster.env, capture_output=True,
                          text=True, timeout=120)
    from agents.compare.ray_cluster import package_version

    assert done.returncode == 2 and f"has vecreward {package_version()}, this machine 9.9" in done.stdout, done
    assert len(done.stdout.strip().splitlines()) == 1 and not (tmp_path / "v" / "runs").exists()
    # a driver whose --out is on a file system of its own: a tmpfs mounted in a private mount namespace
    private = tmp_path / "private"
    private.mkdir()
    if shutil.which("unshare") is None or subprocess.run(["unshare", "--mount", "true"],
                                                         capture_output=True).returncode != 0:
        return  # not allowed here (needs root or user namespaces)
    script = (f"mount -t tmpfs vecreward-test {private} && exec {sys.executable} -m agents {' '.join(GRID)} "
              f"--out {private / 'cmp'} --backend ray --ray-address {cluster.address}")
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], cwd=ROOT,
                          env=cluster.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done
    assert f"does not see {private / 'cmp' / 'runs'}: the nodes write the runs themselves" in done.stdout, done
    assert len(done.stdout.strip().splitlines()) == 1


def test_bad_ray_addresses_fail_in_seconds_with_one_line(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    pytest.importorskip("ray")
    from agents.cli import main

    silent = socket.socket()  # accepts TCP connections (the kernel's backlog) and never answers: not a Ray head
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    (free,) = _free_ports(1)
    cases = {
        "127.0.0.1:1": "nothing listens at 127.0.0.1:1",
        f"127.0.0.1:{free}": f"start the head with `ray start --head --port {free}`",
        f"ray://127.0.0.1:{free}": "nothing listens",
        "no-such-host.invalid:6379": "unknown host",
        f"127.0.0.1:{silent.getsockname()[1]}": "does not answer as a Ray head within 3 s",
        "head": "is not an address",
        "127.0.0.1:": "the port must be a number",
        "127.0.0.1:http": "the port must be a number",
        "127.0.0.1:70000": "the port must be a number",
        "http://127.0.0.1:8265": "unknown scheme",
    }
    try:
        for address, expected in cases.items():
            out = tmp_path / "x"
            started = time.perf_counter()
            assert main([*GRID, "--out", str(out), "--backend", "ray", "--ray-address", address]) == 2, address
            elapsed = time.perf_counter() - started
            text = capsys.readouterr().out.strip()
            assert elapsed < 8, (address, elapsed)
            assert text.startswith("error:") and expected in text and len(text.splitlines()) == 1, text
            assert not out.exists()
        # Ray's own convention: RAY_ADDRESS is the cluster when --ray-address is not given
        monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:1")
        assert main([*GRID, "--out", str(tmp_path / "x"), "--backend", "ray"]) == 2
        assert "error: RAY_ADDRESS '127.0.0.1:1': nothing listens" in capsys.readouterr().out
    finally:
        silent.close()


def test_a_backend_that_cannot_start_leaves_no_grid_behind(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    from agents.cli import main
    from agents.compare import backends

    def refuse(*args: object, **kwargs: object) -> list:
        raise backends.BackendError("cannot connect to the Ray cluster at 'ray://head:10001'")

    monkeypatch.setattr(backends, "run_grid", refuse)
    out = tmp_path / "grid"
    assert main([*GRID, "--out", str(out)]) == 2
    assert "error: cannot connect" in capsys.readouterr().out
    assert not (out / "runs").exists() and not (out / "compare.json").exists()  # so no --resume is needed
