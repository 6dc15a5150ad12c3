"""The small network: an observation encoder and a GRU that writes answer tokens, one at a time.

    context  = tanh(W_ctx [embed(obs_i) + pos_i]_i)                         the static observation -> [H]
    h_t      = GRU(h_{t-1}, [embed(token_{t-1}), proj(features_t)]),  h_0 = context
    logits_t = W_out [h_t, proj(features_t)]  (invalid tokens masked)

``features_t`` come from the family's cursor (where the partial answer stands: for the maze, an egocentric window,
the direction to E, steps left); a family without per-token features passes F = 0. Chains of m answers continue
one hidden state, so each answer is conditioned on the earlier ones of its chain.

Several families can share one GRU (``trunk``): each keeps its own encoder, embeddings and head (vocabularies and
observations differ), and what one family's training changes in the trunk reaches the others. That is where
forgetting and transfer happen in a schedule (``agents.small.multitask``). A family without cursor features then
feeds the trunk a constant feature column, so every family's input has the trunk's width.
"""

from __future__ import annotations

import torch
from torch import nn


class AnswerNetwork(nn.Module):
    """Observation [D] ints + per-token features [F] -> logits over V answer tokens."""

    def __init__(self, obs_len: int, obs_vocab: int, n_tokens: int, n_features: int, hidden: int = 128,
                 embed: int = 16, trunk: nn.GRU | None = None) -> None:
        super().__init__()
        self.n_tokens = n_tokens
        self.pad_features = trunk is not None and n_features == 0  # a shared trunk always takes features
        n_features = max(n_features, 1) if trunk is not None else n_features
        self.obs_embed = nn.Embedding(obs_vocab, embed)
        self.obs_pos = nn.Parameter(torch.zeros(obs_len, embed))
        self.context = nn.Linear(obs_len * embed, hidden)
        self.token_embed = nn.Embedding(n_tokens + 1, embed)  # + BOS (index n_tokens) before each answer
        feat_dim = hidden // 2 if n_features else 0
        self.features = nn.Sequential(nn.Linear(n_features, feat_dim), nn.Tanh()) if n_features else None
        self.gru = trunk if trunk is not None else nn.GRU(embed + feat_dim, hidden, batch_first=True)
        if (self.gru.input_size, self.gru.hidden_size) != (embed + feat_dim, hidden):
            raise ValueError(f"a shared trunk must be GRU({embed + feat_dim}, {hidden}), got "
                             f"GRU({self.gru.input_size}, {self.gru.hidden_size})")
        self.head = nn.Linear(hidden + feat_dim, n_tokens)
        self.bos = n_tokens

    def encode(self, obs: torch.Tensor) -> torch.Tensor:
        """Encode observations int [N, D] into the initial hidden state [1, N, H]."""
        x = self.obs_embed(obs.long()) + self.obs_pos  # [N, D, E]
        return torch.tanh(self.context(x.flatten(1)))[None]

    def _inputs(self, prev_tokens: torch.Tensor, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        emb = self.token_embed(prev_tokens)  # [N, T, E]
        if self.features is None:
            return emb, None
        if self.pad_features:
            features = torch.zeros(*features.shape[:-1], 1, dtype=emb.dtype)
        feat = self.features(features)  # [N, T, H/2]
        return torch.cat([emb, feat], dim=-1), feat

    def states(self, hidden: torch.Tensor, prev_tokens: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """GRU states [N, T, H] after each of T teacher-forced steps from ``hidden`` [1, N, H].

        The state after an answer's last step is where the next answer of a chain, or a refinement, starts.
        """
        inputs, _ = self._inputs(prev_tokens, features)
        out, _ = self.gru(inputs, hidden)
        return out

    def forward(self, hidden: torch.Tensor, prev_tokens: torch.Tensor, features: torch.Tensor,
                valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits [N, T, V] (invalid tokens at -inf-ish) and the last hidden state [1, N, H].

        Args:
            hidden: [1, N, H] state before the first of the T steps.
            prev_tokens: [N, T] the token before each step (BOS at the start of an answer).
            features: [N, T, F] cursor features at each step.
            valid: bool [N, T, V] tokens allowed at each step.
        """
        inputs, feat = self._inputs(prev_tokens, features)
        out, hidden = self.gru(inputs, hidden)  # [N, T, H]
        head_in = out if feat is None else torch.cat([out, feat], dim=-1)
        logits = self.head(head_in).masked_fill(~valid, -1e9)
        return logits, hidden
