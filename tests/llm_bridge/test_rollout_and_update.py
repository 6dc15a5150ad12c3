import numpy as np
import pytest
import torch

from llm_bridge.policy import Samples
from llm_bridge.rollout import _dedup_chains, score
from llm_bridge.update import PPOConfig, ppo_update
from vecreward_envs.families import make_family


def test_chain_dedup_rule() -> None:
    stop = 4
    a = np.array([[[[0, 1, 4, 4], [0, 1, 4, 0], [2, 4, 4, 4], [4, 4, 4, 4]]]])  # [B=1, G=1, m=4, L=4]
    assert _dedup_chains(a, stop).tolist() == [[[False, True, False, True]]]  # repeat (padding differs); empty


def test_score_structured_and_text_agree() -> None:
    family = make_family("maze")
    instances = family.instances(0, 2)
    routes = family.demonstrations(instances)  # [2, L]
    answers = np.repeat(routes[:, None, None, :], 3, axis=1)  # [B=2, G=3, m=1, L]
    structured = score(family, instances, Samples(answers, np.zeros((2, 3)), np.zeros((2, 3)), None),
                       view="structured")
    texts = [[family.format_answer(instances[b], routes[b])] * 3 for b in range(2)]
    text = score(family, instances, Samples(texts, np.zeros((2, 3)), np.zeros((2, 3)), None), view="text")
    np.testing.assert_array_equal(structured.rewards, text.rewards)
    assert structured.rewards[..., 0].all() and not text.invalid.any()
    bad = score(family, instances, Samples([["no"] * 3] * 2, np.zeros((2, 3)), np.zeros((2, 3)), None), view="text")
    assert bad.invalid.all() and not bad.rewards.any()
    with pytest.raises(ValueError, match="view"):
        score(family, instances, Samples(texts, None, None, None), view="image")


def test_ppo_update_moves_probability_towards_positive_advantage() -> None:
    torch.manual_seed(0)
    logits = torch.nn.Parameter(torch.zeros(3))  # a one-token policy over 3 tokens
    optimizer = torch.optim.SGD([logits], lr=0.5)
    tokens = torch.tensor([0, 1, 2, 0])

    def token_logprobs(rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logp = torch.log_softmax(logits, 0)
        entropy = -(logp.exp() * logp).sum().expand(len(rows), 1)
        return logp[tokens[rows]][:, None], entropy

    old = token_logprobs(torch.arange(4))[0].detach()
    stats = ppo_update([logits], optimizer, token_logprobs, old, torch.ones(4, 1),
                       torch.tensor([1.0, -1.0, -1.0, 1.0]), PPOConfig(epochs=3))
    probs = torch.softmax(logits, 0).detach()
    assert probs[0] > 0.4 and probs[1] < 1 / 3 and probs[2] < 1 / 3  # towards the positive advantage
    assert probs[0] < 0.6  # the clip (1.2 x 1/3 per pass) bounds how far three epochs can go
    assert set(stats) >= {"train/loss", "train/kl", "train/entropy", "train/clip_fraction", "train/grad_norm"}
    with pytest.raises(ValueError, match="finite"):
        ppo_update([logits], optimizer, token_logprobs, old, torch.ones(4, 1), torch.tensor([np.nan] * 4),
                   PPOConfig())
    with pytest.raises(ValueError, match="reference"):
        ppo_update([logits], optimizer, token_logprobs, old, torch.ones(4, 1), torch.ones(4), PPOConfig(kl_coef=0.1))


@pytest.mark.parametrize("kwargs", [{"clip_range": 0}, {"epochs": 0}, {"kl_coef": -1}, {"loss_aggregation": "x"}])
def test_ppo_config_validation(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        PPOConfig(**kwargs)


def test_accumulation_windows_give_the_full_batch_gradient_with_unequal_pieces() -> None:
    """7 rows in 3 accumulation pieces (3, 2, 2 rows) of one step: the averaged gradient equals the full batch's."""
    import torch

    from llm_bridge.ppo_config import PPOConfig
    from llm_bridge.update import ppo_update

    torch.manual_seed(0)
    n, t = 7, 5
    base = torch.randn(n, t)
    mask = (torch.rand(n, t) > 0.3).float()
    mask[:, 0] = 1.0
    adv = torch.randn(n)

    class Recorder:
        """Sums the pieces' gradients and averages them at the end of the window (as gradient accumulation does)."""

        def __init__(self, param: torch.nn.Parameter, pieces: int) -> None:
            self.param, self.pieces, self.pending, self.grads = param, pieces, 0, []

        def zero_grad(self, set_to_none: bool = True) -> None:
            if self.pending == 0:
                self.param.grad = None

        def step(self) -> None:
            self.pending += 1
            if self.pending == self.pieces:
                self.grads.append(self.param.grad.clone() / self.pieces)
                self.pending = 0

    for aggregation in ("token_mean", "sequence_mean"):
        grads = []
        for pieces in (1, 3):
            theta = torch.nn.Parameter(torch.zeros(n, t))
            rec = Recorder(theta, pieces)

            def logprobs(rows: torch.Tensor, theta: torch.nn.Parameter = theta) -> tuple[torch.Tensor, torch.Tensor]:
                lp = torch.nn.functional.logsigmoid(base[rows] + theta[rows]) * mask[rows]
                return lp, torch.zeros_like(lp)

            config = PPOConfig(minibatches=pieces, max_grad_norm=0.0, loss_aggregation=aggregation)
            ppo_update([theta], rec, logprobs, None, mask, adv, config, shuffle=False,  # type: ignore[arg-type]
                       accumulation=pieces)
            grads.append(rec.grads[0])
        torch.testing.assert_close(grads[1], grads[0])


def test_reused_log_probs_are_refused_where_the_parameters_change_in_between() -> None:
    import pytest
    import torch

    from llm_bridge.ppo_config import PPOConfig
    from llm_bridge.update import ppo_update

    mask = torch.ones(4, 2)
    with pytest.raises(ValueError, match="old_logp=None"):
        ppo_update([], None, lambda rows: (mask[rows], mask[rows]), None, mask, torch.zeros(4),  # type: ignore[arg-type]
                   PPOConfig(epochs=2))
