"""The conflicting-objective maze family (the VPO designed-conflict maze, parameterized)."""

from vecreward_envs.maze.config import REFERENCE_CONFIG, MazeConfig
from vecreward_envs.maze.family import MazeFamily
from vecreward_envs.maze.generator import MazeGenerationError, generate, iter_instances
from vecreward_envs.maze.instance import InstanceBatch, MazeInstance
from vecreward_envs.maze.pareto import ParetoFront, discounted_front, pareto_front
from vecreward_envs.maze.scoring import RouteScores, score_routes
from vecreward_envs.maze.text import ParsedRoute, parse_chain, parse_route, prompt

__all__ = [
    "REFERENCE_CONFIG", "InstanceBatch", "MazeConfig", "MazeFamily", "MazeGenerationError", "MazeInstance",
    "ParetoFront", "ParsedRoute", "RouteScores", "discounted_front", "generate", "iter_instances", "parse_chain",
    "parse_route", "pareto_front", "prompt", "score_routes",
]
