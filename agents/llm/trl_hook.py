"""Our aggregation schemes inside TRL's ``GRPOTrainer``.

TRL computes a reward matrix ``[N, K]`` (one column per reward function, NaN = not applicable, gathered over
processes, each prompt's G completions contiguous) and turns it into advantages with one of its two built-in schemes.
``VectorRewardGRPOTrainer`` keeps everything else of TRL and replaces those advantages with
``llm_bridge.pipeline.run_pipeline`` (reward transforms -> ``llm_bridge.aggregators.aggregate`` -> advantage
transforms) on the same matrix reshaped to ``[B, G, K]``. Use it with ``llm_bridge.export.as_trl``::

    export = as_trl("maze", family.instances(0, 512))
    trainer = VectorRewardGRPOTrainer(model=path, reward_funcs=export.reward_funcs, args=GRPOConfig(...),
                                      train_dataset=export.dataset, pipeline=PipelineConfig(aggregator="gdpo"))

TRL's own logs (``rewards/<name>/mean``, ``reward``) stay as they are; its logged ``advantages`` column still shows
TRL's built-in values (the training loss uses ours). Only single-answer (vector-level) schemes apply: a TRL
completion is one answer, so set-level schemes (vpo, multi_rlvr, max_at_k) are refused.

``reward_log="rewards.jsonl"`` appends every training batch's reward matrix to a JSONL (one row
``{"step", "group", <reward function name>: value}`` per completion, group ids unique across steps, written by the
main process) that ``vecreward diagnose rewards.jsonl`` reads while the run goes on (``docs/diagnose.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from trl import GRPOTrainer

from llm_bridge.aggregators import get_spec
from llm_bridge.diagnostics import RewardLogWriter, log_column_names
from llm_bridge.pipeline import PipelineConfig, run_pipeline


class VectorRewardGRPOTrainer(GRPOTrainer):
    """``trl.GRPOTrainer`` whose advantages come from a vecreward aggregation pipeline.

    Args:
        *args: passed to ``GRPOTrainer``.
        pipeline: the reward transforms, aggregator (with parameters and weights) and advantage transforms.
        seed: seeds the generator of randomized schemes.
        reward_log: a JSONL file to which each training batch's rewards are appended (``RewardLogWriter``, one
            column per reward function, named as TRL names it; ``log_column_names`` makes repeats unique), for
            ``vecreward diagnose``; None: no log.
        **kwargs: passed to ``GRPOTrainer``.

    Raises:
        ValueError: a set-level aggregator.
    """

    def __init__(self, *args: Any, pipeline: PipelineConfig | None = None, seed: int = 0,
                 reward_log: str | Path | None = None, **kwargs: Any) -> None:
        self.vec_pipeline = pipeline or PipelineConfig()
        if get_spec(self.vec_pipeline.aggregator).level != "vector":
            raise ValueError(f"aggregator {self.vec_pipeline.aggregator!r} is set-level; a TRL completion holds one "
                             "answer, so use a vector-level scheme")
        self.vec_rng = np.random.default_rng([seed, 2])
        self.vec_last_rewards: torch.Tensor | None = None
        self.vec_last_advantages: np.ndarray | None = None
        super().__init__(*args, **kwargs)
        self.vec_reward_log = (RewardLogWriter(reward_log, log_column_names(self.reward_func_names))
                               if reward_log is not None else None)

    def _calculate_rewards(self, inputs: Any, prompts: Any, completions: Any, completion_ids_list: Any
                           ) -> torch.Tensor:
        rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self.vec_last_rewards = rewards  # [N_all, K], gathered over processes
        return rewards

    def _generate_and_score_completions(self, inputs: Any) -> dict[str, Any]:
        output = super()._generate_and_score_completions(inputs)
        rewards = self.vec_last_rewards
        if rewards is None:
            raise RuntimeError("TRL did not compute a reward matrix through _calculate_rewards")
        mode = "train" if self.model.training else "eval"
        g = self.num_generations if mode == "train" else getattr(self, "num_generations_eval", self.num_generations)
        k = rewards.shape[1]
        grouped = rewards.detach().float().cpu().numpy().reshape(-1, g, k)  # [B, G, K]
        advantages = np.asarray(run_pipeline(self.vec_pipeline, grouped, rng=self.vec_rng,
                                             step=int(self.state.global_step)), dtype=np.float32)  # [B, G]
        self.vec_last_advantages = advantages
        if self.vec_reward_log is not None and mode == "train" and self.accelerator.is_main_process:
            self.vec_reward_log.write(grouped, step=int(self.state.global_step))
        local = len(output["advantages"])
        start = self.accelerator.process_index * local
        flat = torch.as_tensor(advantages.reshape(-1)[start:start + local])
        output["advantages"] = flat.to(device=output["advantages"].device, dtype=output["advantages"].dtype)
        return output
