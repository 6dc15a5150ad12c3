"""Helpers of the multi-agent tests: the joint route kernel called from Python, test routes."""

import numpy as np
from route_helpers import mixed_routes

from vecreward_envs.maze import InstanceBatch, pareto_front
from vecreward_envs.maze.kernels import neighbour_table, score_params
from vecreward_envs.multiagent import kernels as K


def joint_scores(instances, routes, idx, config):  # noqa: ANN001, ANN201
    batch = InstanceBatch.stack(instances)
    n, a, _ = routes.shape
    out = np.zeros((n, a, config.n_objectives), np.float32)
    steps = np.zeros((n, a), np.int32)
    reached = np.zeros((n, a), np.bool_)
    K.joint_routes_kernel(batch.cells, batch.starts, batch.budgets, batch.totals, np.asarray(idx, np.int64),
                          np.ascontiguousarray(routes, np.int8), neighbour_table(config.size), score_params(config),
                          out, steps, reached)
    return out, reached


def corner_routes(inst, rng, per, length):  # noqa: ANN001, ANN201
    """Routes that reach E through the corners (front witnesses), mixed with random-ish ones."""
    front = pareto_front(inst)
    routes = mixed_routes(inst, rng, per, length)
    for i in range(0, per, 2):
        witness = front.routes[int(rng.integers(len(front.routes)))]
        routes[i] = 4
        routes[i, : min(len(witness), length)] = witness[:length]
    return routes
