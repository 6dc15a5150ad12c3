"""Batched DSL judging: validation in Python, the work in the numba kernels (imported on first use)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from vecreward_envs.codetests.dsl import END, N_TOKENS, TOKEN_NAMES
from vecreward_envs.codetests.problem import VALUE_WIDTH, CodeProblem, ProblemBatch
from vecreward_envs.token_arrays import as_code_array


@dataclass(frozen=True)
class ProgramScores:
    """Judgement of N DSL programs."""

    rewards: np.ndarray
    """float32 [N, K]: format (NaN: not applicable to token arrays), compiles, test objectives (NaN: no test)."""
    status: np.ndarray
    """int8 [N, T]: 1 pass, 0 fail, -1 no test in that slot (slots in the problem's test order)."""
    errors: np.ndarray
    """int8 [N, T]: error code of each test (``dsl.ERR_*``; 0 when the program ran)."""
    compiles: np.ndarray
    """bool [N]: the program type checks for its problem's arguments."""


def as_program_array(programs: object, name: str = "programs") -> np.ndarray:
    """Validate DSL token arrays and return them as int8 [N, L] (1-D input is one program).

    Raises:
        ValueError: not a rectangular integer array of tokens in [0, N_TOKENS).
    """
    array = as_code_array(programs, name, N_TOKENS, "DSL tokens", f"END={END}",
                          f"a DSL token (0..{N_TOKENS - 1}; {END}={TOKEN_NAMES[END]})")
    if array.shape[1] == 0:
        array = np.zeros((array.shape[0], 1), dtype=np.int8)
    return array


PARALLEL_MIN_PROGRAMS = 256
"""Smaller batches run on the calling thread: waking the other threads costs more than the work."""


@contextmanager
def _threads_for(n_programs: int) -> Iterator[None]:
    """Run the parallel kernel on one thread for a small batch (numba's thread count is per calling thread)."""
    if n_programs >= PARALLEL_MIN_PROGRAMS:
        yield
        return
    import numba

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(threads)


def _batch_and_index(problems: CodeProblem | Sequence[CodeProblem] | ProblemBatch, n: int,
                     problem_idx: Sequence[int] | np.ndarray | None) -> tuple[ProblemBatch, np.ndarray]:
    if isinstance(problems, CodeProblem):
        problems = [problems]
    batch = problems if isinstance(problems, ProblemBatch) else ProblemBatch.stack(list(problems))
    n_problems = batch.arg_types.shape[0]
    if problem_idx is None:
        if n_problems not in (1, n):
            raise ValueError(f"{n} programs for {n_problems} problems: pass problem_idx")
        idx = np.zeros(n, np.int64) if n_problems == 1 else np.arange(n, dtype=np.int64)
    else:
        idx = np.asarray(problem_idx, dtype=np.int64).reshape(-1)
        if idx.shape != (n,) or (n and (idx.min() < 0 or idx.max() >= n_problems)):
            raise ValueError(f"problem_idx must hold {n} indices in [0, {n_problems})")
    return batch, idx


def judge_programs(problems: CodeProblem | Sequence[CodeProblem] | ProblemBatch, programs: object, n_objectives: int,
                   problem_idx: Sequence[int] | np.ndarray | None = None) -> ProgramScores:
    """Judge N programs, each on every test of its problem, in one kernel call.

    Args:
        problems: one problem, a list, or a stacked ``ProblemBatch``.
        programs: [N, L] DSL tokens (END-padded).
        n_objectives: K of the problems' config.
        problem_idx: [N] problem of each program (default: all on the one problem, or one program per problem).
    """
    from vecreward_envs.codetests.kernels import judge_kernel

    tokens = as_program_array(programs)
    batch, idx = _batch_and_index(problems, tokens.shape[0], problem_idx)
    n = tokens.shape[0]
    rewards = np.empty((n, n_objectives), dtype=np.float32)  # [N, K]
    status = np.empty((n, batch.t_max), dtype=np.int8)  # [N, T]
    errors = np.empty((n, batch.t_max), dtype=np.int8)  # [N, T]
    compiles = np.empty(n, dtype=np.bool_)  # [N]
    with _threads_for(n):
        judge_kernel(tokens, idx, batch.arg_types, batch.test_ptr, batch.in_val, batch.exp_val, batch.test_obj,
                     rewards, status, errors, compiles, np.zeros((0, batch.t_max, VALUE_WIDTH), np.int64))
    return ProgramScores(rewards, status, errors, compiles)


def eval_programs(problems: CodeProblem | Sequence[CodeProblem] | ProblemBatch, programs: object,
                  problem_idx: Sequence[int] | np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Results of N programs on every test of their problems.

    Returns:
        tag int8 [N, T], length int64 [N, T], items int64 [N, T, MAX_LEN], error code int8 [N, T].
    """
    from vecreward_envs.codetests.kernels import judge_kernel

    tokens = as_program_array(programs)
    batch, idx = _batch_and_index(problems, tokens.shape[0], problem_idx)
    n, t = tokens.shape[0], batch.t_max
    values = np.zeros((n, t, VALUE_WIDTH), dtype=np.int64)  # [N, T, W]
    err = np.empty((n, t), dtype=np.int8)
    k = int(batch.test_obj.max(initial=1)) + 1
    with _threads_for(n):
        judge_kernel(tokens, idx, batch.arg_types, batch.test_ptr, batch.in_val, batch.exp_val, batch.test_obj,
                     np.empty((n, k), np.float32), np.empty((n, t), np.int8), err, np.empty(n, np.bool_), values)
    return values[:, :, 0].astype(np.int8), values[:, :, 1].copy(), values[:, :, 2:].copy(), err
