"""Joining an existing Ray cluster for ``vecreward compare --backend ray --ray-address``: checks that fail fast.

``ray.init(address=...)`` retries for about 20 s when nothing answers, and for many minutes when something else
listens on the port (each try waits for a GCS that never answers); a missing auth token also costs 20 s and
a screen of warnings. So before anything runs, :func:`check_ray_address` parses the address, opens a TCP
connection to it and, for a head address (``HOST:PORT``), asks the head's GCS for the cluster id once, all with a
short timeout, and turns each failure into one line. After connecting, :func:`check_nodes` runs a tiny task on
every node with CPUs: each must import this vecreward (the same version as here) and read and write ``--out``,
since the nodes write the run directories themselves.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FORMS = "HOST:PORT (the head's port: ray start --head --port PORT), ray://HOST:PORT (Ray Client) or auto"
"""The ``--ray-address`` forms accepted, for error messages."""

TOKEN_HINT = ("export RAY_AUTH_MODE=token and the head's token (the output of `ray get-auth-token` on the head) as "
              "RAY_AUTH_TOKEN, or in a file named by RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token")
"""How a driver joins a cluster that has token authentication on."""


def resolve_address(address: str | None) -> tuple[str | None, str]:
    """The cluster to join: ``--ray-address``, else ``RAY_ADDRESS`` (Ray's own convention), else None (start one).

    Returns:
        ``(address, source)``: source names where it came from, for error messages.
    """
    if address is not None:
        return address, "--ray-address"
    env = os.environ.get("RAY_ADDRESS", "").strip()
    return (env, "RAY_ADDRESS") if env else (None, "")


def split_address(address: str, source: str = "--ray-address") -> tuple[str, str, int]:
    """``(scheme, host, port)`` of ``HOST:PORT`` (scheme ``""``) or ``ray://HOST:PORT`` (scheme ``"ray"``).

    Raises:
        ValueError: any other form (``auto`` is handled by the caller), a missing host, a port that is not 1-65535.
    """
    text = address.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    elif scheme != "ray":
        raise ValueError(f"{source} {address!r}: unknown scheme {scheme + '://'!r}; use {FORMS}")
    host, colon, port_text = rest.rpartition(":")
    host = host.strip("[]")  # [::1]:6379
    if not colon or not host or "/" in rest:
        raise ValueError(f"{source} {address!r} is not an address; use {FORMS}")
    try:
        port = int(port_text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ValueError(f"{source} {address!r}: the port must be a number from 1 to 65535, got {port_text!r}")
    return scheme, host, port


def check_ray_address(address: str, source: str = "--ray-address", timeout: float = 3.0) -> None:
    """Fail within about ``timeout`` seconds, with one line, when ``address`` is not a Ray cluster to join.

    ``auto`` is left to ``ray.init`` (which fails at once when it finds no cluster). A ``HOST:PORT`` must accept a
    TCP connection and answer as a Ray GCS that lets this machine in (its auth token, if the cluster has token
    authentication on); a ``ray://`` address must accept a TCP connection (the Ray Client server reports the rest).

    Raises:
        ValueError: a malformed address, nothing listening, no answer, not a Ray head, or a missing token.
    """
    if address.strip() == "auto":
        return
    scheme, host, port = split_address(address, source)
    where = f"{source} {address!r}"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror:
        raise ValueError(f"{where}: unknown host {host!r}") from None
    except TimeoutError:
        raise ValueError(f"{where}: no answer from {host}:{port} within {timeout:g} s (a firewall, or the wrong "
                         "host?)") from None
    except OSError as exc:
        raise ValueError(f"{where}: nothing listens at {host}:{port} ({exc.strerror or exc}); start the head "
                         f"with `ray start --head --port {port}`, or give its address") from None
    if scheme == "":
        _probe_gcs(f"{host}:{port}", where, timeout)


def _probe_gcs(address: str, where: str, timeout: float) -> None:
    """Ask the GCS at ``address`` for its cluster id once, in a thread bounded by ``timeout``."""
    try:
        from ray._raylet import GcsClient  # Ray's own client: the same auth handling as ray.init
    except ImportError:  # another Ray layout: ray.init reports the rest
        return
    outcome: dict[str, BaseException | None] = {}

    def probe() -> None:
        try:
            GcsClient(address=address)
            outcome["error"] = None
        except Exception as exc:  # noqa: BLE001 - classified below
            outcome["error"] = exc

    thread = threading.Thread(target=probe, name="vecreward-gcs-probe", daemon=True)
    with _quiet_stderr():  # the client logs each failed try itself
        thread.start()
        thread.join(timeout)
    if "error" not in outcome:
        raise ValueError(f"{where}: {address} accepts connections but does not answer as a Ray head within "
                         f"{timeout:g} s; give the port of `ray start --head --port PORT` (not the dashboard's "
                         "8265, nor the Ray Client's 10001, which takes ray://HOST:10001)")
    error = outcome["error"]
    if error is None:
        return
    text = f"{type(error).__name__}: {error}"
    if "Auth" in type(error).__name__ or "InvalidAuthToken" in text or "Unauthenticated" in text:
        sent = ("a token it does not accept" if os.environ.get("RAY_AUTH_MODE", "").lower() == "token"
                else "no token (RAY_AUTH_MODE is not token)")
        raise ValueError(f"{where}: the cluster has token authentication on and this machine sent {sent}: "
                         f"{TOKEN_HINT}")
    raise ValueError(f"{where}: {address} is not a Ray head that answers: {text.splitlines()[0][:300]}")


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the block (native code writes there directly)."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _node_facts(marker: str, reply: str) -> dict[str, Any]:
    """On a node: what it sees of the driver's ``marker`` file, its versions; writes ``reply`` back."""
    import platform

    import ray

    try:
        seen = Path(marker).read_text()
    except OSError:
        seen = None
    wrote = None
    if seen is not None:
        try:
            Path(reply).write_text(seen)
            wrote = reply
        except OSError as exc:
            wrote = f"error: {exc}"
    return {"seen": seen, "wrote": wrote, "version": package_version(), "python": platform.python_version(),
            "host": socket.gethostname(), "node": ray.get_runtime_context().get_node_id()}


def package_version() -> str | None:
    """The installed vecreward's version (None when it runs from a source tree without metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vecreward")
    except PackageNotFoundError:
        return None


def node_label(node: dict[str, Any]) -> str:
    """``ip/node-id-prefix`` of an entry of ``ray.nodes()`` (several nodes may share an IP)."""
    return f"{node.get('NodeManagerAddress', '?')}/{str(node.get('NodeID', '?'))[:8]}"


def check_nodes(out: Path, timeout: float = 120.0) -> dict[str, str]:
    """Check every alive node with a CPU: it runs vecreward's tasks, its version matches, and it shares ``out``.

    A file is written under ``out/runs`` here; a task pinned to each node reads it and writes a reply next to it,
    which this process then reads (so both directions of the shared file system are checked).

    Returns:
        node id -> label (``ip/id-prefix``) of the nodes checked.

    Raises:
        BackendError: a node fails the task (e.g. vecreward is not installed there), has another vecreward
            version, does not see ``out``, or does not answer within ``timeout`` seconds.
    """
    import ray
    from ray.exceptions import GetTimeoutError
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from agents.compare.backends import BackendError

    nodes = {n["NodeID"]: n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) >= 1}
    runs = (out / "runs").resolve()
    tag = secrets.token_hex(6)
    marker = runs / f".node-check-{tag}"
    marker.write_text(tag)
    replies = {node_id: runs / f".node-check-{tag}-{node_id[:12]}" for node_id in nodes}
    here = package_version()
    probe = ray.remote(num_cpus=0, max_retries=0)(_node_facts)
    try:
        refs = {node_id: probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False))
                .remote(str(marker), str(replies[node_id])) for node_id in nodes}
        ready, _ = ray.wait(list(refs.values()), num_returns=len(refs), timeout=timeout)
        for node_id, ref in refs.items():
            label = node_label(nodes[node_id])
            if ref not in ready:
                raise BackendError(f"Ray node {label} did not run a check task within {timeout:g} s (busy, or "
                                   "its workers cannot start?)")
            try:
                facts = ray.get(ref, timeout=0)
            except GetTimeoutError:
                raise BackendError(f"Ray node {label} did not answer") from None
            except Exception as exc:  # noqa: BLE001 - the node's own failure, shown in one line
                first = str(exc).strip().splitlines()
                raise BackendError(f"Ray node {label} cannot run vecreward's tasks (is the same vecreward installed "
                                   f"in the Python that runs Ray there?): {first[-1][:300] if first else exc!r}"
                                   ) from None
            if here is not None and facts["version"] != here:
                raise BackendError(f"Ray node {label} ({facts['host']}) has vecreward {facts['version']}, this "
                                   f"machine {here}: install the same version on every node")
            if facts["seen"] != tag or not replies[node_id].is_file() or replies[node_id].read_text() != tag:
                problem = ("does not see" if facts["seen"] != tag else
                           f"cannot write into ({facts['wrote']})" if str(facts["wrote"]).startswith("error")
                           else "writes where this machine does not see, under")
                raise BackendError(f"Ray node {label} ({facts['host']}) {problem} {runs}: the nodes write the runs "
                                   "themselves, so --out must be on a file system every node shares, at the same "
                                   "path")
    finally:
        for path in (marker, *replies.values()):
            path.unlink(missing_ok=True)
    return {node_id: node_label(node) for node_id, node in nodes.items()}


def run_on_node(*args: Any, **kwargs: Any) -> tuple[str, dict[str, Any]]:
    """``agents.compare.worker.run_one`` in a Ray task; returns ``(node id, record)``."""
    import ray

    from agents.compare.worker import run_one

    return ray.get_runtime_context().get_node_id(), run_one(*args, **kwargs)
