"""Our env checker: the vector-reward contract that Gymnasium's ``check_env`` does not know about.

``check_env(env_or_id)`` checks spaces, the reward's dtype/shape/bounds against ``reward_space`` (NaN entries mean
"objective not applicable" and are allowed; infinities are not), the names,
seed determinism (same seed, same actions -> identical observations, rewards and ends) and pickling (an
unpickled copy continues identically). ``check_vector_env`` does the same for a vector env (rewards [N, K],
declared autoreset mode). Both raise ``EnvContractError`` naming the first broken rule.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode


class EnvContractError(AssertionError):
    """An env breaks the vecreward env contract."""


def _fail(env_name: str, message: str) -> EnvContractError:
    return EnvContractError(f"{env_name}: {message}")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def check_reward_contract(env: gym.Env | gym.vector.VectorEnv, name: str) -> spaces.Box:
    """``reward_space`` is a float32 ``Box(shape=(K,))`` with finite bounds and ``reward_names`` names K entries."""
    base = env.unwrapped
    reward_space = getattr(base, "reward_space", None)
    if not isinstance(reward_space, spaces.Box):
        raise _fail(name, f"env.unwrapped.reward_space must be a gymnasium Box, got {type(reward_space).__name__}")
    if len(reward_space.shape) != 1 or reward_space.shape[0] < 1:
        raise _fail(name, f"reward_space must have shape (K,), got {reward_space.shape}")
    if reward_space.dtype != np.float32:
        raise _fail(name, f"reward_space dtype must be float32, got {reward_space.dtype}")
    if not (np.all(np.isfinite(reward_space.low)) and np.all(np.isfinite(reward_space.high))
            and np.all(reward_space.low <= reward_space.high)):
        raise _fail(name, "reward_space bounds must be finite with low <= high (true bounds, not +-inf)")
    names = getattr(base, "reward_names", None)
    k = reward_space.shape[0]
    if (not isinstance(names, tuple) or len(names) != k or len(set(names)) != k
            or not all(isinstance(n, str) and n for n in names)):
        raise _fail(name, f"env.unwrapped.reward_names must be a tuple of {k} distinct non-empty strings, "
                          f"got {names!r}")
    if getattr(base, "reward_dim", k) != k:
        raise _fail(name, f"reward_dim {base.reward_dim} != K = {k}")
    return reward_space


def _check_reward(reward: Any, reward_space: spaces.Box, name: str, batch: int | None = None) -> None:
    shape = reward_space.shape if batch is None else (batch, *reward_space.shape)
    if not isinstance(reward, np.ndarray) or reward.dtype != np.float32 or reward.shape != shape:
        got = f"{type(reward).__name__} {getattr(reward, 'dtype', '')} {getattr(reward, 'shape', '')}"
        raise _fail(name, f"step must return a float32 reward of shape {shape}, got {got}")
    if np.any(np.isinf(reward)):
        raise _fail(name, f"reward has infinite entries: {reward}")
    low = np.broadcast_to(reward_space.low, reward.shape)
    high = np.broadcast_to(reward_space.high, reward.shape)
    applicable = ~np.isnan(reward)  # NaN = objective not applicable (allowed; bounds apply to the rest)
    if np.any(reward[applicable] < low[applicable]) or np.any(reward[applicable] > high[applicable]):
        raise _fail(name, f"reward {reward} outside reward_space [{reward_space.low}, {reward_space.high}]")


def _rollout(env: gym.Env, seed: int, actions: list[Any], reward_space: spaces.Box, name: str) -> list[tuple]:
    """Reset with ``seed`` and play ``actions`` (resetting with seed+i after each end); returns every transition."""
    obs, _ = env.reset(seed=seed)
    if not env.observation_space.contains(obs):
        raise _fail(name, f"reset observation not in observation_space: {obs!r}"[:300])
    trace: list[tuple] = [("reset", obs)]
    episode = 0
    for action in actions:
        obs, reward, terminated, truncated, _ = env.step(action)
        if not env.observation_space.contains(obs):
            raise _fail(name, f"step observation not in observation_space: {obs!r}"[:300])
        if not isinstance(terminated, bool) or not isinstance(truncated, bool):
            raise _fail(name, "terminated and truncated must be Python bools")
        _check_reward(reward, reward_space, name)
        trace.append((obs, reward, terminated, truncated))
        if terminated or truncated:
            episode += 1
            obs, _ = env.reset(seed=seed + episode)
            trace.append(("reset", obs))
    return trace


def check_env(env_or_id: gym.Env | str, *, seed: int = 0, n_steps: int = 64,
              make_kwargs: dict[str, Any] | None = None) -> None:
    """Check one env (an instance, or an id made with ``gym.make(id, **make_kwargs)``) against the contract.

    Raises:
        EnvContractError: the first rule the env breaks.
    """
    make: Callable[[], gym.Env]
    if isinstance(env_or_id, str):
        env_id = env_or_id

        def make() -> gym.Env:
            return gym.make(env_id, **(make_kwargs or {}))
    else:
        template = env_or_id

        def make() -> gym.Env:  # a fresh copy per run: the env must pickle (part of the contract)
            try:
                return pickle.loads(pickle.dumps(template))
            except Exception as exc:  # noqa: BLE001 - any pickling failure breaks the contract
                raise _fail(type(template.unwrapped).__name__, f"env does not pickle: {exc!r}") from exc
    env = make()
    name = str(env.spec.id if env.spec is not None else type(env.unwrapped).__name__)
    reward_space = check_reward_contract(env, name)
    for space_name in ("observation_space", "action_space"):
        if not isinstance(getattr(env, space_name), spaces.Space):
            raise _fail(name, f"{space_name} must be a gymnasium Space")

    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(n_steps)]
    first = _rollout(env, seed, actions, reward_space, name)
    second = _rollout(make(), seed, actions, reward_space, name)
    if not _same(first, second):
        raise _fail(name, "not deterministic: the same seed and actions gave different observations or rewards")

    # Pickling: a copy taken mid-episode continues exactly like the original.
    env.reset(seed=seed + 1000)
    half = n_steps // 2
    for action in actions[:half]:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset(seed=seed + 1001)
    try:
        clone = pickle.loads(pickle.dumps(env))
    except Exception as exc:  # noqa: BLE001 - any pickling failure breaks the contract
        raise _fail(name, f"env does not pickle: {exc!r}") from exc
    for action in actions[half:]:
        out_a, out_b = env.step(action), clone.step(action)
        if not _same(out_a[:4], out_b[:4]):
            raise _fail(name, "an unpickled copy did not continue like the original")
        if out_a[2] or out_a[3]:
            env.reset(seed=seed + 2000)
            clone.reset(seed=seed + 2000)
    env.close()


def check_vector_env(env: gym.vector.VectorEnv, *, seed: int = 0, n_steps: int = 64) -> None:
    """Check a vector env: rewards float32 [N, K] within bounds, declared autoreset mode, determinism.

    Raises:
        EnvContractError: the first rule the env breaks.
    """
    name = type(env.unwrapped).__name__
    reward_space = check_reward_contract(env, name)
    mode = env.metadata.get("autoreset_mode")
    if not isinstance(mode, AutoresetMode):
        raise _fail(name, f"metadata['autoreset_mode'] must be a gymnasium AutoresetMode, got {mode!r}")
    n = env.num_envs
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(n_steps)]

    def play() -> list[Any]:
        obs, _ = env.reset(seed=seed)
        trace: list[Any] = [copy.deepcopy(obs)]  # arrays, or tuples of prompts for text views
        for action in actions:
            obs, reward, terminated, truncated, _ = env.step(action)
            _check_reward(reward, reward_space, name, batch=n)
            if terminated.shape != (n,) or truncated.shape != (n,):
                raise _fail(name, f"terminated/truncated must have shape ({n},)")
            if not env.observation_space.contains(obs):
                raise _fail(name, "step observation not in observation_space")
            trace.append((copy.deepcopy(obs), reward.copy(), terminated.copy(), truncated.copy()))
        return trace

    if not _same(play(), play()):
        raise _fail(name, "not deterministic: the same seed and actions gave different results")


def check_parallel_env(make_env: Callable[[], Any], *, seed: int = 0, n_steps: int = 64) -> None:
    """Check a PettingZoo Parallel env with per-agent vector rewards (MOMAland's convention).

    ``make_env`` builds a fresh env (called twice: the two runs must agree). Checked: every possible agent's
    ``reward_space(agent)`` is a float32 ``Box(shape=(K,))`` with finite bounds and ``reward_names[agent]`` names
    its K entries; every step's reward of every agent is a float32 [K] array within those bounds (NaN = not
    applicable); observations lie in ``observation_space(agent)``; terminations/truncations are Python bools; the
    same seed and actions give identical observations, rewards, ends and agent lists; an unpickled copy taken
    mid-game continues identically.

    Raises:
        EnvContractError: the first rule the env breaks.
    """
    env = make_env()
    name = str(getattr(env, "metadata", {}).get("name", type(env).__name__))
    names = getattr(env, "reward_names", None)
    spaces_of: dict[Any, spaces.Box] = {}
    for agent in env.possible_agents:
        space = env.reward_space(agent) if callable(getattr(env, "reward_space", None)) else None
        if not isinstance(space, spaces.Box) or len(space.shape) != 1 or space.dtype != np.float32:
            raise _fail(name, f"reward_space({agent!r}) must be a float32 Box of shape (K,), got {space!r}")
        if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high)) and np.all(space.low <= space.high)):
            raise _fail(name, f"reward_space({agent!r}) bounds must be finite with low <= high")
        if env.reward_space(agent) is not space:
            raise _fail(name, f"reward_space({agent!r}) must return the same space object on every call")
        agent_names = names.get(agent) if isinstance(names, dict) else None
        k = space.shape[0]
        if (not isinstance(agent_names, tuple) or len(agent_names) != k or len(set(agent_names)) != k
                or not all(isinstance(n, str) and n for n in agent_names)):
            raise _fail(name, f"reward_names[{agent!r}] must be a tuple of {k} distinct non-empty strings, "
                              f"got {agent_names!r}")
        spaces_of[agent] = space
    rng = np.random.default_rng(seed)
    action_seeds = rng.integers(0, 2**31 - 1, size=n_steps)

    def actions_at(e: Any, t: int) -> dict[Any, Any]:
        out = {}
        for i, agent in enumerate(e.agents):
            space = e.action_space(agent)
            space.seed(int(action_seeds[t]) + i)
            out[agent] = space.sample()
        return out

    def play(e: Any, start: int = 0, stop: int = n_steps, reset: bool = True) -> list[Any]:
        trace: list[Any] = []
        if reset:
            obs, _ = e.reset(seed=seed)
            trace.append(("reset", obs))
        episode = 0
        for t in range(start, stop):
            if not e.agents:
                episode += 1
                obs, _ = e.reset(seed=seed + episode)
                trace.append(("reset", obs))
            obs, rewards, terms, truncs, _ = e.step(actions_at(e, t))
            for agent, reward in rewards.items():
                _check_reward(reward, spaces_of[agent], f"{name}[{agent}]")
            for agent, ob in obs.items():
                if not e.observation_space(agent).contains(ob):
                    raise _fail(name, f"observation of {agent!r} not in its observation_space")
            for flags in (terms, truncs):
                if not all(isinstance(v, bool) for v in flags.values()):
                    raise _fail(name, "terminations and truncations must be Python bools")
            trace.append((obs, rewards, terms, truncs, list(e.agents)))
        return trace

    if not _same(play(env), play(make_env())):
        raise _fail(name, "not deterministic: the same seed and actions gave different observations or rewards")
    env = make_env()
    half = n_steps // 2
    play(env, 0, half)
    try:
        clone = pickle.loads(pickle.dumps(env))
    except Exception as exc:  # noqa: BLE001 - any pickling failure breaks the contract
        raise _fail(name, f"env does not pickle: {exc!r}") from exc
    if not _same(play(env, half, n_steps, reset=False), play(clone, half, n_steps, reset=False)):
        raise _fail(name, "an unpickled copy did not continue like the original")
