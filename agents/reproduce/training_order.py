"""Claim 11: training order. Structured, low-entropy tasks first, then open ones, against the reverse and joint.

Omni-Thinker (arXiv 2507.14783; seed note 004): structured domains lower the policy's output entropy, open-ended
ones raise it; ordering tasks by backward transfer, structured first, gains 6.2% over joint training and reduces
forgetting.

Tasks: tool calls (``toolcall``: one exact call satisfies every constraint: the structured task) and the maze
(``maze``: many routes, each a different trade-off between items and lava: the open one). One small policy with a
shared GRU trunk (``MultiTaskSmallPolicy``), warm-started on both families' demonstrations, then RL (GRPO):

- ``structured-first``: ``imitate:toolcall+maze:W > rl:toolcall:N > rl:maze:N``
- ``open-first``: ``imitate:toolcall+maze:W > rl:maze:N > rl:toolcall:N``
- ``joint``: ``imitate:toolcall+maze:W > rl:toolcall+maze:2N`` (steps alternate between the two)

Measured per arm: each family's held-out ``eval/best@1`` at the end and their mean (the analogue of Omni-Thinker's
average over domains), BWT and forgetting (``llm_bridge.transfer_metrics``; sequential arms only), and the policy's
per-token entropy on each family after every stage, to check the premise: does RL on the "structured" task lower
entropy and RL on the "open" one raise it?
"""

from __future__ import annotations

import numpy as np

from agents.compare.grid import Budget
from agents.reproduce.common import ClaimContext, ClaimOutput, compare_means, row, save_plot
from agents.reproduce.schedule_common import final, summary, train_schedules

STRUCTURED, OPEN = "toolcall", "maze"
ARMS = ("structured-first", "open-first", "joint")
STEPS = {"tiny": (2, 2), "default": (100, 100)}
"""(warm-start updates W, RL updates per family N)."""
BUDGETS = {
    "tiny": Budget(steps=1, batch_size=4, group_size=4, eval_instances=4, eval_samples=4, eval_every=2,
                   train_instances=16),
    "default": Budget(steps=1, batch_size=16, group_size=8, eval_instances=32, eval_samples=8, eval_every=10,
                      train_instances=512),
}
PAPER = {"structured-first": "best: +6.2% over joint (mean over 4 domains), less forgetting",
         "open-first": "more forgetting", "joint": "6.2% below structured-first"}


def schedules(w: int, n: int) -> dict[str, str]:
    """The three orders."""
    warm = f"imitate:{STRUCTURED}+{OPEN}:{w}"
    return {
        "structured-first": f"{warm} > rl:{STRUCTURED}:{n} > rl:{OPEN}:{n}",
        "open-first": f"{warm} > rl:{OPEN}:{n} > rl:{STRUCTURED}:{n}",
        "joint": f"{warm} > rl:{STRUCTURED}+{OPEN}:{2 * n}",
    }


def _entropy_change(records: list[dict], task: str, stage: int) -> list[float]:
    """Per seed: how much stage ``stage`` changed the policy's entropy on ``task``."""
    out = []
    for r in records:
        ent = r["schedule"]["entropy"]
        out.append(float(ent[stage][r["schedule"]["labels"].index(task)] -
                         ent[stage - 1][r["schedule"]["labels"].index(task)]))
    return out


def run(ctx: ClaimContext) -> ClaimOutput:
    """Train the three orders on every seed; final scores, their mean, BWT, forgetting, entropy by stage."""
    w, n = STEPS[ctx.config.budget]
    records = train_schedules(ctx, schedules(w, n), BUDGETS[ctx.config.budget])
    rows = []
    for arm in ARMS:
        recs = records[arm]
        s, o = final(recs, STRUCTURED), final(recs, OPEN)
        rows.append(row("mean best@1 over both families, final", arm, list(np.mean([s, o], axis=0)), PAPER[arm]))
        rows.append(row(f"{STRUCTURED} best@1, final", arm, s))
        rows.append(row(f"{OPEN} best@1, final", arm, o))
        if arm != "joint":
            rows.append(row("BWT (GEM)", arm, summary(recs, "bwt")))
            rows.append(row("forgetting (Chaudhry)", arm, summary(recs, "forgetting")))
        for task in (STRUCTURED, OPEN):
            rows.append(row(f"{task} entropy, final", arm, final(recs, task, "eval/entropy")))
    # the premise: entropy change on the task an RL stage trains (stage 1 = the first RL stage, stage 2 the second)
    sf, of = records["structured-first"], records["open-first"]
    rows.append(row(f"entropy change on {STRUCTURED} while RL trains it", "structured-first",
                    _entropy_change(sf, STRUCTURED, 1), "structured: lowers entropy"))
    rows.append(row(f"entropy change on {OPEN} while RL trains it", "open-first",
                    _entropy_change(of, OPEN, 1), "open: raises entropy"))
    rows.append(row(f"entropy change on {OPEN} while RL trains {STRUCTURED}", "open-first",
                    _entropy_change(of, OPEN, 2)))
    rows.append(row(f"entropy change on {STRUCTURED} while RL trains {OPEN}", "structured-first",
                    _entropy_change(sf, STRUCTURED, 2)))

    def draw(ax: object) -> None:
        for arm, style in zip(ARMS, ("-", "--", ":"), strict=True):
            recs = records[arm]
            for task, color in ((STRUCTURED, "tab:blue"), (OPEN, "tab:orange")):
                key = f"{task}/eval/entropy"
                steps = [h["step"] + 1 for h in recs[0]["history"] if key in h]
                values = np.mean([[h[key] for h in r["history"] if key in h] for r in recs], axis=0)
                ax.plot(steps, values, style, color=color, label=f"{arm}: {task}")  # type: ignore[attr-defined]
        ax.axvline(w, color="grey", lw=0.8)  # type: ignore[attr-defined]
        ax.axvline(w + n, color="grey", lw=0.8)  # type: ignore[attr-defined]
        ax.set(xlabel="update", ylabel="per-token entropy (held-out)",  # type: ignore[attr-defined]
               title=f"entropy by family under each order, mean of {len(ctx.seeds)} seeds")
        ax.legend(fontsize=7)  # type: ignore[attr-defined]

    plot = save_plot(ctx, "order_entropy.png", draw)
    m = "mean best@1 over both families, final"
    reading = (f"{compare_means(rows, m, 'structured-first', 'joint')}; "
               f"{compare_means(rows, m, 'structured-first', 'open-first')}; "
               f"{compare_means(rows, 'BWT (GEM)', 'structured-first', 'open-first')} (BWT)")
    return ClaimOutput(rows=rows, reading=reading, plots=[plot],
                       extra={"schedules": schedules(w, n),
                              "scores": {a: [r["schedule"]["scores"] for r in records[a]] for a in ARMS},
                              "entropy": {a: [r["schedule"]["entropy"] for r in records[a]] for a in ARMS}})
