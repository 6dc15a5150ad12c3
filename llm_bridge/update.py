"""The policy update shared by every torch policy: PPO-clip on sequence-level advantages broadcast to tokens.

Each rollout has one advantage (the aggregator's output); every token of the rollout gets it. Per token:

    ratio = exp(logp_new - logp_old)
    loss  = -min(ratio * A, clip(ratio, 1 - eps, 1 + eps) * A) + kl_coef * KL_k3(ref || new) - entropy_coef * H

with the k3 estimator KL = exp(ref - new) - (ref - new) - 1 (non-negative, unbiased; as in GRPO). Token losses are
averaged over all tokens of the batch (``token_mean``, DAPO/TRL default) or within each rollout first
(``sequence_mean``, the original GRPO). Gradients are clipped to ``max_grad_norm``.

Off-policy rows (``off_policy``; critique-guided refinements, ``docs/refinement.md``) were sampled under another
context than the one they are trained in, so their sampling log-probs say nothing about the current policy's. Their
tokens get the policy-shaping weight of LUFFY / Critique-GRPO instead of the PPO ratio, without clipping:

    loss = -f(p) * A,   f(p) = p / (p + gamma),   p = exp(logp_new)

whose gradient is -A * gamma / (p + gamma)^2 * grad p = -A * [gamma p / (p + gamma)^2] * grad logp: low-probability
tokens keep a large weight (p / gamma for p << gamma) where the plain likelihood gradient p * grad logp would vanish.
On-policy rows are computed exactly as without the argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch

from llm_bridge.ppo_config import PPOConfig

__all__ = ["PPOConfig", "ppo_update"]


TokenLogprobFn = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""rows [n] -> (log-probs [n, T] of the taken tokens, entropies [n, T]) under the current parameters."""


def _aggregate(loss: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    if how == "token_mean":
        return (loss * mask).sum() / mask.sum().clamp(min=1.0)
    per_rollout = (loss * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
    return per_rollout.mean()


def ppo_update(
    parameters: Iterable[torch.nn.Parameter],
    optimizer: torch.optim.Optimizer,
    token_logprobs: TokenLogprobFn,
    old_logp: torch.Tensor | None,
    mask: torch.Tensor,
    advantages: torch.Tensor,
    config: PPOConfig,
    *,
    ref_logp: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    off_policy: torch.Tensor | None = None,
    shaping_gamma: float = 0.1,
    shuffle: bool = True,
    accumulation: int = 1,
) -> dict[str, float]:
    """Run ``config.epochs`` x ``config.minibatches`` PPO-clip steps.

    Args:
        parameters: the trainable parameters (for gradient clipping).
        optimizer: their optimizer.
        token_logprobs: recomputes log-probs and entropies of the sampled tokens for a set of rows.
        old_logp: [N, T] log-probs at sampling time, or None: each minibatch's own log-probs, detached (exact only
            when the parameters cannot change between sampling and this minibatch: one epoch, one optimizer step,
            as TRL does with ``num_iterations=1``; it saves the separate old-log-prob pass).
        mask: [N, T] 1 for generated tokens, 0 for padding.
        advantages: [N] one advantage per rollout.
        config: the settings.
        ref_logp: [N, T] reference-policy log-probs (needed when ``kl_coef > 0``).
        generator: shuffles minibatches reproducibly.
        off_policy: bool [N], rows trained with the shaping weight f(p) = p / (p + gamma) instead of the clipped
            ratio (None: every row on-policy, the plain PPO-clip update).
        shaping_gamma: gamma of the shaping weight (> 0; 0.1 in LUFFY and Critique-GRPO).
        shuffle: shuffle rows into minibatches (False: contiguous row ranges, e.g. when the minibatches are only the
            gradient-accumulation pieces of one optimizer step and a caller keeps a group's rows together).
        accumulation: consecutive minibatches that make one optimizer step (an optimizer that sums their gradients
            and divides by their count, as ``HFPolicy``'s gradient accumulation does). Each piece's loss is then
            normalized by the whole window's tokens (``token_mean``) or rows (``sequence_mean``) and multiplied by
            the window's piece count, so the step is exactly the window's full-batch loss gradient however unequal
            the pieces (a per-piece mean would weight the rows of a smaller piece more). 1: every minibatch its own
            step, the loss as before.

    Returns:
        ``train/loss``, ``train/policy_loss``, ``train/kl``, ``train/entropy``, ``train/clip_fraction``,
        ``train/approx_kl``, ``train/grad_norm`` averaged over the steps; with ``off_policy``, the statistics other than
        the losses count on-policy tokens only, and ``train/off_policy_prob`` is the mean p of off-policy tokens.
    """
    params = [p for p in parameters if p.requires_grad]
    n = mask.shape[0]
    if advantages.shape != (n,) or (old_logp is not None and mask.shape != old_logp.shape):
        shape = None if old_logp is None else tuple(old_logp.shape)
        raise ValueError(f"shapes: old_logp {shape}, mask {tuple(mask.shape)}, advantages "
                         f"{tuple(advantages.shape)} (need [N, T], [N, T], [N])")
    if config.kl_coef > 0 and ref_logp is None:
        raise ValueError("kl_coef > 0 needs the reference policy's log-probs")
    if not torch.isfinite(advantages).all():
        raise ValueError("advantages must be finite")
    if off_policy is not None:
        if off_policy.shape != (n,) or off_policy.dtype != torch.bool:
            raise ValueError(f"off_policy must be bool [N={n}], got {off_policy.dtype} {tuple(off_policy.shape)}")
        if not shaping_gamma > 0:
            raise ValueError(f"shaping_gamma must be > 0, got {shaping_gamma}")
        off_policy = off_policy.to(mask.device)
    if isinstance(accumulation, bool) or not isinstance(accumulation, int) or accumulation < 1:
        raise ValueError(f"accumulation must be an int >= 1, got {accumulation!r}")
    if old_logp is None and (config.epochs != 1 or config.minibatches > accumulation):
        raise ValueError("old_logp=None (each minibatch's own log-probs) is exact only when the parameters cannot "
                         "change before a minibatch: one epoch, and every minibatch inside one accumulation window; "
                         f"got epochs={config.epochs}, minibatches={config.minibatches}, accumulation={accumulation}")
    mask = mask.to(torch.float32 if old_logp is None else old_logp.dtype)
    sums: dict[str, float] = {}
    steps = 0
    for _ in range(config.epochs):
        order = torch.randperm(n, generator=generator) if shuffle and config.minibatches > 1 else torch.arange(n)
        # tensor_split: exactly `minibatches` pieces, so each window holds `accumulation` of them, as the optimizer
        # counts (torch.chunk can return fewer); chunk where nothing accumulates, as before
        split = torch.tensor_split if accumulation > 1 else torch.chunk
        pieces = [rows for rows in split(order, config.minibatches) if rows.numel() > 0]
        windows = [pieces[i:i + accumulation] for i in range(0, len(pieces), accumulation)]
        scale = {}  # piece index -> (window normalizer, pieces in its window)
        for w, window in enumerate(windows):
            rows_all = torch.cat(window)
            norm = (mask[rows_all].sum().clamp(min=1.0) if config.loss_aggregation == "token_mean"
                    else torch.tensor(float(rows_all.numel())))
            for j in range(len(window)):
                scale[w * accumulation + j] = (norm, len(window))
        for index, rows in enumerate(pieces):
            new_logp, entropy = token_logprobs(rows)  # [n, T] each
            m = mask[rows]
            old = new_logp.detach() if old_logp is None else old_logp[rows]
            log_ratio = new_logp - old
            ratio = torch.exp(log_ratio)
            adv = advantages[rows].to(new_logp.dtype)[:, None]  # [n, 1]: the rollout's advantage on every token
            clipped = torch.clamp(ratio, 1.0 - config.clip_range, 1.0 + config.clip_range)
            policy_tok = -torch.minimum(ratio * adv, clipped * adv)
            off = None
            if off_policy is not None:
                off = off_policy[rows][:, None].to(new_logp.dtype)  # [n, 1]: 1 on off-policy rows
                prob = torch.exp(new_logp)
                shaped = -(prob / (prob + shaping_gamma)) * adv  # no ratio, no clip (LUFFY, Critique-GRPO)
                policy_tok = torch.where(off > 0, shaped, policy_tok)
            loss_tok = policy_tok - config.entropy_coef * entropy
            kl_tok = torch.zeros_like(new_logp)
            if ref_logp is not None:
                delta = ref_logp[rows] - new_logp
                kl_tok = torch.exp(delta) - delta - 1.0
                loss_tok = loss_tok + config.kl_coef * kl_tok
            loss = _aggregate(loss_tok, m, config.loss_aggregation)
            optimizer.zero_grad(set_to_none=True)
            if accumulation == 1:
                loss.backward()
            else:  # this piece's share of its window's loss, times the pieces the optimizer will average over
                norm, count = scale[index]
                per_row = (loss_tok * m).sum(dim=1) if config.loss_aggregation == "token_mean" else \
                    (loss_tok * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
                (per_row.sum() / norm * count).backward()
            if config.max_grad_norm > 0:
                grad_norm = torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
            else:
                grad_norm = torch.sqrt(sum((p.grad.detach() ** 2).sum() for p in params if p.grad is not None))
            optimizer.step()
            with torch.no_grad():
                m_all = m
                if off is not None:
                    m = m_all * (1.0 - off)  # ratio statistics: on-policy tokens only
                tokens = m.sum().clamp(min=1.0)
                stats = {
                    "train/loss": loss.item(),
                    "train/policy_loss": _aggregate(policy_tok, m, config.loss_aggregation).item(),
                    "train/kl": ((kl_tok * m).sum() / tokens).item(),
                    "train/entropy": ((entropy * m).sum() / tokens).item(),
                    "train/clip_fraction": ((((ratio - 1.0).abs() > config.clip_range).float() * m).sum()
                                            / tokens).item(),
                    "train/approx_kl": (((ratio - 1.0 - log_ratio) * m).sum() / tokens).item(),
                    "train/grad_norm": float(grad_norm),
                }
                if off is not None:
                    m_off = m_all * off
                    stats["train/policy_loss"] = _aggregate(policy_tok, m_all, config.loss_aggregation).item()
                    stats["train/off_policy_prob"] = ((torch.exp(new_logp) * m_off).sum()
                                                      / m_off.sum().clamp(min=1.0)).item()
            for key, value in stats.items():
                sums[key] = sums.get(key, 0.0) + value
            steps += 1
    return {key: value / max(steps, 1) for key, value in sums.items()}
