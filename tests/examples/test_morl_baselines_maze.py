"""examples/morl_baselines_maze.py: its shaping keeps the order of routes, and the quick run learns a front."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("morl_baselines")  # in `dev` and the `ecosystem` extra; skipped only without them

from vecreward_envs.maze import pareto_front  # noqa: E402
from vecreward_envs.maze.config import STOP  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "morl_baselines_maze.py"


def _load_example():
    name = "examples_morl_baselines_maze"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_shaping_adds_the_same_amount_to_every_route_that_reaches_e() -> None:
    example = _load_example()
    env = example.ZoneDistanceShaping(gym.make("vecreward/ConflictMaze-v0"), gamma=1.0, scale=2.0)
    env.reset(seed=0)
    routes = pareto_front(env.unwrapped.instance).routes  # one witness route per front point
    extra = []
    for route in routes:
        env.reset(seed=0)
        phi0 = env._phi.copy()
        assert (phi0 >= 0).all() and (phi0 <= 2.0).all()
        shaped, raw = np.zeros(4), np.zeros(4)
        for move in route[route != STOP]:
            _, reward, terminated, _, info = env.step(int(move))
            shaped += reward
            raw += info["vector_reward"]
        assert terminated and info["reached_end"]
        np.testing.assert_allclose(shaped - raw, 2.0 - phi0, atol=1e-5)  # telescopes to Phi(E) - Phi(S)
        extra.append(shaped - raw)
    np.testing.assert_allclose(extra, np.broadcast_to(extra[0], np.shape(extra)), atol=1e-5)
    # a wall bump costs (1 - gamma) * Phi with gamma < 1, and nothing with gamma = 1
    bumped = example.ZoneDistanceShaping(gym.make("vecreward/ConflictMaze-v0"), gamma=0.9)
    bumped.reset(seed=0)  # S is the top-left corner of maze 0: UP hits the border
    phi = bumped._phi.copy()
    _, reward, *_ = bumped.step(0)
    np.testing.assert_allclose(reward, -0.1 * phi, atol=1e-6)


def test_quick_run_learns_a_front(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["front"], done.stdout
    assert all(v[0] == 1.0 for v in result["front"])  # every learned point reaches E
    exact = np.array(result["exact_front"])
    for v in result["front"]:  # nothing beats the exact front
        assert np.any(np.all(exact >= np.array(v) - 1e-6, axis=1)), v
    hv, exact_hv = result["hypervolume"], result["exact_hypervolume"]
    assert math.isfinite(hv) and 0.0 < hv <= exact_hv + 1e-9
    assert "hypervolume" in done.stdout and "learned front" in done.stdout
