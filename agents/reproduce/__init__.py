"""``vecreward reproduce``: the claims of the seed papers, measured at toy scale (one small module per claim).

A claim module exposes ``BUDGETS`` (``"tiny"`` for tests, ``"default"`` for the measurement in
``docs/results.md``) and ``run(ctx: ClaimContext) -> ClaimOutput``. ``CLAIMS`` registers them by name.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Claim:
    """One reproducible claim."""

    name: str
    """Name on the command line."""
    number: int
    """Its number in issue 9's list."""
    title: str
    """What is compared."""
    paper: str
    """What the paper reports (``shared/reference/anchors.md``), the number our table stands next to."""
    module: str
    """Module with ``BUDGETS`` and ``run``."""
    needs: tuple[str, ...] = ()
    """Task families the claim needs (a missing one fails with a clear message)."""

    def load(self) -> ModuleType:
        """The claim's module."""
        return importlib.import_module(self.module)


_CLAIMS = (
    Claim("advantage-collapse", 1, "GRPO maps distinct reward vectors to one advantage; GDPO separates them",
          "GDPO (arXiv 2601.05242): qualitative, no count reported; worked example (G=4, K=3): 4 distinct vectors"
          " -> 3 GRPO advantage levels, 4 GDPO levels", "agents.reproduce.advantage_collapse"),
    Claim("vpo-maze", 2, "VPO vs GRPO vs Multi-RLVR on the maze: best@k and reward-space diversity",
          "VPO (arXiv 2605.22817, Qwen3-4B, m=3): best@30 GRPO 0.432, Multi-RLVR 0.436, VPO 0.593; "
          "diversity GRPO 0.003, VPO 1.01", "agents.reproduce.vpo_maze"),
    Claim("rvpo-toolcall", 3, "RVPO vs GDPO on tool-call tasks: the bottleneck constraint over training",
          "RVPO (arXiv 2605.05750, HealthBench 14B): 0.261 vs GDPO 0.215; GDPO degrades late, RVPO does not",
          "agents.reproduce.rvpo_toolcall", needs=("toolcall",)),
    Claim("nsr-passk", 4, "NSR / W-REINFORCE vs PSR vs GRPO: pass@k, k = 1..64, on code-test problems",
          "arXiv 2506.01347 (Qwen2.5-Math-7B, AIME25 pass@256): GRPO 50.0, PSR 43.3, NSR 53.3, W-REINFORCE 56.7",
          "agents.reproduce.nsr_passk"),
    Claim("rlcr-calibration", 5, "RLCR vs a plain correctness reward: calibration error and accuracy",
          "RLCR (arXiv 2507.16806, HotpotQA, Qwen2.5-7B): ECE 0.37 -> 0.03 at about equal accuracy",
          "agents.reproduce.rlcr_calibration"),
    Claim("easy-dominance", 6, "GDPO vs GRPO with a trivially satisfiable format objective beside a hard one",
          "GDPO (arXiv 2601.05242): under GRPO's sum the easy reward dominates and the hard one lags; GDPO (and "
          "conditioning the easy reward on the hard one) fixes it (qualitative here: no number in our anchors)",
          "agents.reproduce.easy_dominance"),
    Claim("noise-dvao", 7, "DVAO vs GDPO vs GRPO with one noisy objective: do the clean objectives learn?",
          "seed note 001 / DVAO (arXiv 2605.25604): fixed weights leak a noisy objective into the advantage; "
          "variance weighting suppresses the noise (qualitative: no number in our anchors)",
          "agents.reproduce.noise_dvao", needs=("structure",)),
    Claim("spread-dominance", 8, "GRPO's sum vs per-objective normalization when one objective has a wider spread",
          "MO-GRPO (arXiv 2509.22047) / GDPO (arXiv 2601.05242): the wide-spread objective dominates GRPO's sum; "
          "per-objective normalization restores influence in proportion to the weights (qualitative)",
          "agents.reproduce.spread_dominance", needs=("structure",)),
    Claim("specialization", 9, "vector and set-level vs scalar schemes on a trade-off front: does the pool stay "
          "spread?",
          "seed note 000 (VPO, arXiv 2605.22817): scalarizing averages, and averaging is where specialization dies "
          "(qualitative)", "agents.reproduce.specialization", needs=("structure",)),
    Claim("sequencing", 10, "imitation then RL vs imitation only vs RL only at equal updates (maze, tool calls)",
          "seed note 004 (SRL -> RLVR): imitation first, then verifiable-reward RL, substantially outperforms both "
          "alone (qualitative: no number in our anchors)", "agents.reproduce.sequencing", needs=("toolcall",)),
    Claim("order", 11, "training order: structured-first vs open-first vs joint over tool calls and the maze, with "
          "BWT, forgetting and entropy", "Omni-Thinker (arXiv 2507.14783): structured-first ordering +6.2% over joint "
          "training, less forgetting; structured domains lower entropy, open ones raise it",
          "agents.reproduce.training_order", needs=("toolcall",)),
    Claim("critique", 12, "critique-guided refinement vs plain RL at an equal number of sampled answers: the "
          "plateau (code tests, tool calls)",
          "Critique-GRPO (arXiv 2506.03106, Qwen2.5-7B / Qwen3-8B): RL on numbers alone plateaus; learning from "
          "critique-guided refinements raises it (+4.4 / +3.8 avg pass@1 over GRPO)",
          "agents.reproduce.critique_refinement", needs=("toolcall",)),
    Claim("gates", 13, "a hackable rubric as reward points vs as a group gate: rubric score and true quality",
          "DRO (arXiv 2506.13351 v3): rubrics as group-level accept/reject gates respect the criteria without the "
          "hacking that rubric points invite (qualitative: no number in our anchors)",
          "agents.reproduce.rubric_gates", needs=("structure",)),
)

CLAIMS: dict[str, Claim] = {c.name: c for c in _CLAIMS}
"""Claim name -> claim, in issue order."""


def get_claim(name: str) -> Claim:
    """The claim called ``name``.

    Raises:
        ValueError: unknown name (the message lists the valid ones).
    """
    if name not in CLAIMS:
        raise ValueError(f"unknown claim {name!r}; valid: {list(CLAIMS)} (or 'all')")
    return CLAIMS[name]
