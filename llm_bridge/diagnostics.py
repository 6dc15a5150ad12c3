"""Diagnose reward groups ``[B, G, K]``: which aggregation scheme fits the rewards a run actually produces.

Shared by ``vecreward diagnose`` (a user's own reward logs), the TRL hook (``RewardLogWriter`` logs a live run)
and the ``advantage-collapse`` claim (:func:`count_levels`), so the three measure the same thing.

>>> import numpy as np
>>> R = np.array([[[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]]], dtype=float)  # [B=1, G=4, K=3]
>>> d = diagnose(R, ["a", "b", "c"])
>>> d["grpo_collapse_fraction"], d["gdpo_collapse_fraction"]
(1.0, 0.0)

``rewards`` is ``[B, G, K]``: B groups (prompts), G rollouts per group, K objectives, NaN = not applicable.
Every number is defined in ``docs/diagnose.md``; the suggestion rules are :data:`RULES`.

Logs: :func:`read_reward_log` reads CSV, JSONL, Parquet (a ``group`` column and one numeric column per objective)
or a ``.npy`` ``[B, G, K]``; :class:`RewardLogWriter` appends a run's groups to a JSONL in that format.
"""

from __future__ import annotations

import csv
import json
import math
import numbers
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from llm_bridge.aggregators import aggregate

__all__ = [
    "RULES",
    "THRESHOLDS",
    "RewardLog",
    "RewardLogWriter",
    "count_levels",
    "diagnose",
    "log_column_names",
    "read_reward_log",
    "to_jsonable",
]

SPREAD_TOL = 1e-6
"""A group (or an objective within a group) has *zero spread* when max - min <= this."""
SUCCESS_THRESHOLD = 1.0
"""A rollout *succeeds* when every applicable objective is >= this (the outcome schemes' default threshold)."""

THRESHOLDS: dict[str, float] = {
    "collapse": 0.10,
    "dominance": 0.60,
    "tradeoff": -0.50,
    "rare": 0.80,
    "zero_spread": 0.50,
}
"""The thresholds of the suggestion rules (also written into the result, key ``thresholds``)."""

RULES: dict[str, str] = {
    "collapse": "grpo_collapse_fraction > 0.10 and gdpo's is lower -> gdpo",
    "dominance": "K >= 2 and an objective's variance_share > 0.60 -> gdpo (per-objective normalization)",
    "tradeoff": "two objectives with correlation < -0.50 -> tchebycheff (vpo with chains of answers)",
    "rare": "an objective with nan_fraction > 0.80 -> gdpo (normalizes it where it applies); all NaN -> drop it",
    "zero_spread": "zero_spread_fraction > 0.50 -> w_reinforce when most of those groups fail on every rollout, "
                   "else a data note (scheme null: more rollouts per prompt, prompts of matching difficulty)",
    "default": "no rule above named a scheme -> grpo",
}
"""The suggestion rules, in the order they are checked (documented in ``docs/diagnose.md``)."""

RESERVED_COLUMNS = ("group", "step")
"""Columns of a log that are never objectives: the group id and the training step."""


def count_levels(rewards: np.ndarray, advantages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group: distinct reward vectors [B] and distinct advantage levels [B] (both rounded to 1e-6).

    NaN rewards count as the value -9 (so "not applicable" is one distinct value); a group *collapses* when it has
    fewer advantage levels than distinct vectors. The ``advantage-collapse`` claim measures exactly this.
    """
    r = np.round(np.nan_to_num(rewards, nan=-9.0), 6)  # [B, G, K]
    a = np.round(advantages, 6)  # [B, G]
    vectors = np.array([len(np.unique(r[b], axis=0)) for b in range(r.shape[0])])
    levels = np.array([len(np.unique(a[b])) for b in range(a.shape[0])])
    return vectors, levels


def _check(rewards: Any, names: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    try:
        r = np.asarray(rewards, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("rewards must be a numeric array [B, G, K]") from None
    if r.ndim != 3 or 0 in r.shape:
        raise ValueError(f"rewards must be a non-empty array [B, G, K], got shape {r.shape}")
    if np.isinf(r).any():
        raise ValueError("rewards contain infinite values; use NaN for 'not applicable'")
    k = r.shape[2]
    out = [f"o{i}" for i in range(k)] if names is None else [str(n) for n in names]
    if len(out) != k:
        raise ValueError(f"{len(out)} objective names for K={k} objectives")
    if len(set(out)) != k:
        raise ValueError(f"objective names must be unique, got {out}")
    return r, out


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else float("nan")


def _collapse(r: np.ndarray, scheme: str) -> tuple[np.ndarray, float, float]:
    """Distinct vectors [B], collapse fraction and level ratio over groups with >= 2 distinct vectors."""
    vectors, levels = count_levels(r, np.asarray(aggregate(scheme, r)))
    informative = vectors >= 2
    return (vectors, _mean((levels < vectors)[informative].astype(float)),
            _mean((levels / vectors)[informative]))


def _spread_zero(values: np.ndarray) -> np.ndarray:
    """[..., G] -> bool [...]: fewer than 2 applicable entries, or max - min <= SPREAD_TOL."""
    valid = ~np.isnan(values)
    hi = np.where(valid, values, -np.inf).max(axis=-1)
    lo = np.where(valid, values, np.inf).min(axis=-1)
    return (valid.sum(axis=-1) < 2) | (hi - lo <= SPREAD_TOL)


def _variance_share(r: np.ndarray) -> np.ndarray:
    """[K]: Cov(x_k, s) / Var(s) on within-group centred values, x = r with NaN as 0, s = sum_k x_k."""
    x = np.nan_to_num(r, nan=0.0)
    c = x - x.mean(axis=1, keepdims=True)  # [B, G, K]
    cs = c.sum(axis=2)  # [B, G]
    var = float(np.sum(cs * cs))
    if var <= SPREAD_TOL**2:
        return np.full(r.shape[2], np.nan)
    return np.einsum("bgk,bg->k", c, cs) / var


def _correlation(r: np.ndarray) -> np.ndarray:
    """[K, K] within-group correlation, pairwise over the entries where both objectives apply.

    Values are centred by their group's mean over applicable entries; then r_ij = sum(c_i c_j) /
    sqrt(sum c_i^2 * sum c_j^2), NaN where a denominator is 0.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN groups
        c = r - np.nanmean(r, axis=1, keepdims=True)
    k = r.shape[2]
    flat = c.reshape(-1, k)
    valid = ~np.isnan(flat)
    z = np.nan_to_num(flat, nan=0.0)
    both = valid[:, :, None] & valid[:, None, :]  # [N, K, K]
    num = np.einsum("ni,nj->ij", z, z)
    sq = z * z
    den_i = np.einsum("nij,ni->ij", both, sq)
    den_j = np.einsum("nij,nj->ij", both, sq)
    den = np.sqrt(den_i * den_j)
    ok = den > SPREAD_TOL**2
    corr = np.where(ok, num / np.where(ok, den, 1.0), np.nan)
    return np.clip(corr, -1.0, 1.0)


def _all_fail(r: np.ndarray) -> np.ndarray:
    """[B] bool: no rollout of the group succeeds (every applicable objective >= SUCCESS_THRESHOLD)."""
    applicable = ~np.isnan(r)
    success = np.all(~applicable | (r >= SUCCESS_THRESHOLD), axis=2) & applicable.any(axis=2)  # [B, G]
    return ~success.any(axis=1)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _suggest(d: dict[str, Any], zero_and_fail: float) -> list[dict[str, Any]]:
    """Apply :data:`RULES` to a diagnosis; each suggestion names the measured property behind it."""
    t = d["thresholds"]
    names, per = d["objectives"], d["per_objective"]
    out: list[dict[str, Any]] = []
    grpo, gdpo = d["grpo_collapse_fraction"], d["gdpo_collapse_fraction"]
    if grpo == grpo and grpo > t["collapse"] and not gdpo >= grpo:
        out.append({"scheme": "gdpo", "rule": "collapse",
                    "reason": f"GRPO maps distinct reward vectors to one advantage in {_pct(grpo)} of the groups "
                              f"with distinct vectors (GDPO: {_pct(gdpo)})"})
    shares = [(per[n]["variance_share"], n) for n in names if per[n]["variance_share"] == per[n]["variance_share"]]
    top_share, top_name = max(shares, default=(float("nan"), ""))
    if len(names) >= 2 and top_share > t["dominance"]:
        out.append({"scheme": "gdpo", "rule": "dominance",
                    "reason": f"objective {top_name} carries {_pct(top_share)} of the summed reward's variance: "
                              "under the plain sum it decides most advantages; per-objective normalization (gdpo, "
                              "mo_grpo) weighs every objective alike"})
    corr = np.asarray(d["correlation"], dtype=np.float64)
    off = np.where(np.eye(len(names), dtype=bool) | np.isnan(corr), np.inf, corr)
    i, j = np.unravel_index(int(np.argmin(off)), off.shape)
    low = float(off[i, j]) if np.isfinite(off[i, j]) else float("nan")
    if low < t["tradeoff"]:
        out.append({"scheme": "tchebycheff", "rule": "tradeoff",
                    "reason": f"objectives {names[i]} and {names[j]} trade off within groups (correlation "
                              f"{low:.2f}): tchebycheff scores a rollout by its worst weighted objective; with "
                              "chains of answers, vpo covers the trade-off's front"})
    for n in names:
        frac = per[n]["nan_fraction"]
        if frac >= 1.0:
            out.append({"scheme": None, "rule": "rare",
                        "reason": f"objective {n} is never applicable (all NaN): it carries no signal; drop it"})
        elif frac > t["rare"]:
            out.append({"scheme": "gdpo", "rule": "rare",
                        "reason": f"objective {n} applies to only {_pct(1 - frac)} of the rollouts: in the plain "
                                  "sum it moves few advantages; gdpo normalizes it over the rollouts where it applies"})
    zs = d["zero_spread_fraction"]
    if zs > t["zero_spread"]:
        head = (f"{_pct(zs)} of the groups have zero spread in the summed reward, so group-normalized schemes get "
                "no signal from them")
        if zero_and_fail >= zs / 2:
            out.append({"scheme": "w_reinforce", "rule": "zero_spread",
                        "reason": f"{head}; in {_pct(zero_and_fail)} of the groups every rollout fails (none reaches "
                                  f"{SUCCESS_THRESHOLD:g} on every objective): w_reinforce (or nsr) still pushes "
                                  "failed rollouts down there"})
        else:
            out.append({"scheme": None, "rule": "zero_spread",
                        "reason": f"{head}: sample more rollouts per prompt (larger G) or prompts of matching "
                                  "difficulty"})
    if not any(s["scheme"] for s in out):
        if grpo != grpo:
            collapse = "no group with distinct reward vectors"
        elif grpo > t["collapse"]:
            collapse = f"GRPO collapses {_pct(grpo)} of the groups but GDPO no fewer ({_pct(gdpo)})"
        else:
            collapse = f"no collapse (GRPO {_pct(grpo)})"
        parts = [collapse,
                 f"no dominating objective (largest variance share {_pct(top_share)})" if top_share == top_share
                 else "no dominating objective",
                 f"no strong trade-off (lowest correlation {low:.2f})" if low == low else "no trade-off measured"]
        out.append({"scheme": "grpo", "rule": "default", "reason": ", ".join(parts)})
    return out


def diagnose(rewards: Any, names: Sequence[str] | None = None) -> dict[str, Any]:
    """Measure what matters for choosing an aggregation scheme on reward groups ``[B, G, K]``.

    Args:
        rewards: ``[B, G, K]`` rewards, NaN = not applicable (numpy or nested lists).
        names: K objective names (default ``o0, o1, ...``).

    Returns:
        A dict of floats, lists and strings (NaN where undefined; :func:`to_jsonable` turns NaN into None):
        ``n_groups``, ``group_size``, ``objectives``, ``zero_spread_fraction``, ``all_fail_fraction``,
        ``mean_distinct_vectors``, ``informative_fraction``, ``grpo_collapse_fraction``, ``gdpo_collapse_fraction``,
        ``grpo_level_ratio``, ``gdpo_level_ratio``, ``per_objective`` (name -> ``mean``, ``nan_fraction``,
        ``zero_spread_fraction``, ``variance_share``), ``correlation`` (K x K), ``thresholds`` and ``suggested``
        (a list of ``{scheme, rule, reason}``). Formulas: ``docs/diagnose.md``.

    Raises:
        ValueError: not a non-empty numeric ``[B, G, K]``, infinite values, names that do not match K.
    """
    r, names = _check(rewards, names)
    b, g, k = r.shape
    total = np.nansum(r, axis=2)  # [B, G]: the plain sum, NaN skipped
    zero = _spread_zero(total)
    fail = _all_fail(r)
    vectors, grpo, grpo_ratio = _collapse(r, "grpo")
    _, gdpo, gdpo_ratio = _collapse(r, "gdpo")
    shares = _variance_share(r)
    per_zero = _spread_zero(np.moveaxis(r, 2, 1))  # [B, K]
    nan = np.isnan(r)
    per = {}
    for i, n in enumerate(names):
        col = r[:, :, i]
        per[n] = {
            "mean": float(np.mean(col[~nan[:, :, i]])) if (~nan[:, :, i]).any() else float("nan"),
            "nan_fraction": float(nan[:, :, i].mean()),
            "zero_spread_fraction": float(per_zero[:, i].mean()),
            "variance_share": float(shares[i]),
        }
    d: dict[str, Any] = {
        "n_groups": int(b),
        "group_size": int(g),
        "objectives": list(names),
        "zero_spread_fraction": float(zero.mean()),
        "all_fail_fraction": float(fail.mean()),
        "mean_distinct_vectors": float(vectors.mean()),
        "informative_fraction": float((vectors >= 2).mean()),
        "grpo_collapse_fraction": grpo,
        "gdpo_collapse_fraction": gdpo,
        "grpo_level_ratio": grpo_ratio,
        "gdpo_level_ratio": gdpo_ratio,
        "per_objective": per,
        "correlation": _correlation(r).tolist(),
        "thresholds": dict(THRESHOLDS),
    }
    d["suggested"] = _suggest(d, float((zero & fail).mean()))
    return d


def to_jsonable(obj: Any) -> Any:
    """Plain JSON types: numpy scalars and arrays to floats and lists, NaN to None (``null`` when written)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        x = float(obj)
        return None if math.isnan(x) else x
    return obj


# ----------------------------------------------------------------------------------------------------------- logs


class RewardLog:
    """Reward groups read from a log file."""

    def __init__(self, rewards: np.ndarray, names: list[str], ignored: list[str]) -> None:
        self.rewards = rewards
        """``[B, G, K]`` float64, NaN = not applicable."""
        self.names = names
        """The objective columns, in file order."""
        self.ignored = ignored
        """Columns that were not taken as objectives (``group``, ``step``, non-numeric ones)."""


def _number(value: Any) -> float | None:
    """A JSON value as a float (None/NaN -> nan); None when it is not a number (strings, bools, lists)."""
    if value is None:
        return float("nan")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def _csv_number(text: str) -> float | None:
    s = text.strip()
    if s == "" or s.lower() in ("nan", "null", "none", "na"):
        return float("nan")
    try:
        return float(s)
    except ValueError:
        return None


def _read_rows(path: Path) -> tuple[list[str], list[Any], dict[str, list[float | None]]]:
    """Column names, group ids (one per row; None where missing) and each other column parsed as numbers."""
    ext = path.suffix.lower()
    if ext == ".csv":
        try:
            with open(path, newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                rows = [row for row in reader if row]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ValueError(f"{path}: not a readable CSV file ({exc})") from None
        if not rows:
            raise ValueError(f"{path}: the file is empty")
        header = [h.strip() for h in rows[0]]
        body = rows[1:]
        bad = next((i for i, row in enumerate(body) if len(row) != len(header)), None)
        if bad is not None:
            raise ValueError(f"{path}: line {bad + 2} has {len(body[bad])} fields, the header {len(header)}")
        groups = [row[header.index("group")].strip() or None for row in body] if "group" in header else []
        cols = {h: [_csv_number(row[i]) for row in body] for i, h in enumerate(header) if h != "group"}
        return header, groups, cols
    if ext == ".jsonl":
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            raise ValueError(f"{path}: not a UTF-8 text file") from None
        records = []
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {lineno} is not valid JSON ({exc.msg})") from None
            if not isinstance(rec, dict):
                raise ValueError(f"{path}: line {lineno} is not a JSON object")
            records.append(rec)
        header = list(dict.fromkeys(key for rec in records for key in rec))
        groups = [rec.get("group") for rec in records] if "group" in header else []
        cols = {h: [_number(rec.get(h)) for rec in records] for h in header if h != "group"}
        return header, groups, cols
    if ext == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ValueError('reading Parquet needs pyarrow: pip install "vecreward[report]"') from None
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise ValueError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
        header = list(table.column_names)
        groups = table.column("group").to_pylist() if "group" in header else []
        cols: dict[str, list[float | None]] = {}
        for h in header:
            if h == "group":
                continue
            typ = table.schema.field(h).type
            if pa.types.is_integer(typ) or pa.types.is_floating(typ):
                cols[h] = [float("nan") if v is None else float(v) for v in table.column(h).to_pylist()]
            else:
                cols[h] = [None] * table.num_rows
        return header, groups, cols
    raise ValueError(f"{path}: unknown extension {path.suffix or '(none)'!r}; use .csv, .jsonl, .parquet or .npy")


def read_reward_log(path: str | Path) -> RewardLog:
    """Read reward groups from a log: CSV, JSONL or Parquet with a ``group`` column, or a ``.npy`` ``[B, G, K]``.

    In a table, the objectives are the numeric columns other than ``group`` and ``step`` (a column is numeric when
    every value is a number, NaN or empty, and one at least is a number; booleans and text are not numbers); empty,
    ``null`` and NaN mean not applicable. Rows sharing a group id form a group, in file order; groups come in the
    order their ids first appear, and must all have the same size. A ``.npy`` names its objectives ``o0, o1, ...``.

    Raises:
        ValueError: one line naming the problem (missing file, unknown extension, empty or unreadable file, no
            ``group`` column, a row without a group, no numeric column, infinite values, ragged groups).
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not a file")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty")
    if path.suffix.lower() == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise ValueError(f"{path}: not a readable .npy file ({str(exc).splitlines()[0]})") from None
        if arr.dtype.kind not in "biuf" or arr.ndim != 3 or 0 in arr.shape:
            raise ValueError(f"{path}: a .npy log must be a non-empty numeric array [B, G, K], got shape "
                             f"{arr.shape} of {arr.dtype}")
        r = arr.astype(np.float64)
        if np.isinf(r).any():
            raise ValueError(f"{path}: infinite rewards; use NaN for 'not applicable'")
        return RewardLog(r, [f"o{i}" for i in range(r.shape[2])], [])
    header, groups, cols = _read_rows(path)
    if "group" not in header:
        raise ValueError(f"{path}: no 'group' column (the prompt id); columns: {', '.join(header) or '(none)'}")
    if not groups:
        raise ValueError(f"{path}: no rows")
    missing = next((i for i, gid in enumerate(groups) if gid is None or gid == ""), None)
    if missing is not None:
        raise ValueError(f"{path}: row {missing + 1} has no group id")
    names = [h for h, vals in cols.items() if h not in RESERVED_COLUMNS and all(v is not None for v in vals)
             and any(v == v for v in vals)]
    ignored = [h for h in header if h not in names]
    if not names:
        raise ValueError(f"{path}: no numeric objective columns (besides group and step); columns: {', '.join(header)}")
    try:
        keys = [json.dumps(gid, sort_keys=True) for gid in groups]
    except TypeError:
        raise ValueError(f"{path}: group ids must be strings or numbers") from None
    members: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        members.setdefault(key, []).append(i)
    sizes = sorted({len(m) for m in members.values()})
    if len(sizes) > 1:
        counts = {s: sum(len(m) == s for m in members.values()) for s in sizes}
        seen = ", ".join(f"{s} ({counts[s]} group{'s' if counts[s] > 1 else ''})" for s in sizes)
        raise ValueError(f"{path}: groups must all have the same size; sizes seen: {seen}")
    matrix = np.array([cols[n] for n in names], dtype=np.float64).T  # [N, K]
    if np.isinf(matrix).any():
        bad = [n for i, n in enumerate(names) if np.isinf(matrix[:, i]).any()]
        raise ValueError(f"{path}: infinite values in {', '.join(bad)}; use NaN or empty for 'not applicable'")
    order = [i for m in members.values() for i in m]
    r = matrix[order].reshape(len(members), sizes[0], len(names))
    return RewardLog(r, names, ignored)


def log_column_names(names: Sequence[str]) -> list[str]:
    """Column names for a log: ``group``/``step`` get a ``_reward`` suffix, repeats ``_2``, ``_3``, ..."""
    out: list[str] = []
    for n in names:
        base = f"{n}_reward" if str(n) in RESERVED_COLUMNS else str(n)
        name, i = base, 1
        while name in out:
            i += 1
            name = f"{base}_{i}"
        out.append(name)
    return out


class RewardLogWriter:
    """Appends reward groups to a JSONL log, one row ``{"step", "group", <name>: value}`` per rollout.

    Group ids are integers, unique across calls (and across restarts: a run appending to an existing log continues
    after its largest id). NaN is written as ``null``. ``vecreward diagnose LOG`` reads the file.

    >>> import tempfile, numpy as np
    >>> w = RewardLogWriter(tempfile.mkdtemp() + "/rewards.jsonl", ["a", "b"])
    >>> w.write(np.array([[1.0, 0.0], [0.0, np.nan]]), group_size=2, step=3)
    >>> open(w.path).read().splitlines()[1]
    '{"step": 3, "group": 0, "a": 0.0, "b": null}'
    """

    def __init__(self, path: str | Path, names: Sequence[str]) -> None:
        self.path = Path(path)
        """The JSONL file (created with its parent directories on the first write)."""
        self.names = [str(n) for n in names]
        """Objective names, one per reward column."""
        if not self.names or len(set(self.names)) != len(self.names) or set(self.names) & set(RESERVED_COLUMNS):
            raise ValueError(f"reward log: objective names must be unique, non-empty and not group/step, got "
                             f"{self.names}")
        self._next = self._last_group() + 1

    def _last_group(self) -> int:
        last = -1
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    gid = json.loads(line).get("group")
                except (json.JSONDecodeError, AttributeError):
                    continue
                if isinstance(gid, int) and not isinstance(gid, bool):
                    last = max(last, gid)
        return last

    def write(self, rewards: Any, *, group_size: int | None = None, step: int = 0) -> None:
        """Append one batch: ``[B, G, K]``, or ``[N, K]`` with each group's ``group_size`` rows contiguous.

        Raises:
            ValueError: a shape that does not match the names or the group size.
        """
        r = np.asarray(rewards, dtype=np.float64)
        if r.ndim == 2:
            if not group_size or group_size < 1 or r.shape[0] % group_size:
                raise ValueError(f"reward log: {r.shape[0]} rows do not split into groups of {group_size}")
            r = r.reshape(-1, group_size, r.shape[1])
        if r.ndim != 3 or r.shape[2] != len(self.names):
            raise ValueError(f"reward log: expected [B, G, {len(self.names)}] or [N, {len(self.names)}] rewards, "
                             f"got shape {r.shape}")
        lines = []
        for b in range(r.shape[0]):
            gid = self._next + b
            for g in range(r.shape[1]):
                row: dict[str, Any] = {"step": int(step), "group": gid}
                row.update({n: to_jsonable(float(v)) for n, v in zip(self.names, r[b, g], strict=True)})
                lines.append(json.dumps(row))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))
        self._next += r.shape[0]
