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
