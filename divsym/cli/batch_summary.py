"""Streamed summary statistics for ``divsym batch --summary``: one small partial per chunk.

Every chunk of results is reduced on its worker to a :class:`Partial` of a few kilobytes; the
partials are merged (in any order) into the summary, so the rows are never gathered in one
place. What is exact and what is not:

- ``count``, ``min``, ``max`` and the counts of ``+inf``/``-inf``/NaN are exact;
- ``mean`` and the population ``std`` (ddof = 0) combine per-chunk ``(count, mean, M2)`` with
  Chan et al.'s parallel update, as accurate as a two-pass float64 computation per chunk;
- quantiles come from a DDSketch-like log histogram (fixed buckets ``(γ^(i−1), γ^i]`` with
  ``γ = (1 + α)/(1 − α)``, the same for every chunk, so partials merge by adding counts):
  the value returned for quantile ``q`` is within a relative ``α`` (:data:`RELATIVE_ACCURACY`,
  0.5 %) of the exact order statistic at rank ``⌊q·(count − 1)⌋`` (NumPy's ``method="lower"``),
  exactly 0 where that statistic is 0;
- the text histogram puts each sketch bucket into the equal-width bin of its representative
  value, so a value within 0.5 % of a bin edge may be counted in the neighbouring bin.

Statistics are over the finite values; infinities (``KL = inf`` where ``q = 0 < p``) are
counted apart.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["QUANTILES", "RELATIVE_ACCURACY", "Partial", "format_summary", "merge", "partial"]

#: Relative accuracy α of the quantiles (and of the histogram's bin edges).
RELATIVE_ACCURACY = 0.005
_GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(_GAMMA)
#: The quantiles printed by the summary.
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)

_Ints = NDArray[np.int64]


def _empty() -> _Ints:
    return np.zeros(0, dtype=np.int64)


@dataclass
class Partial:
    """The summary of some values, mergeable with :func:`merge`.

    ``pos``/``neg`` are sketch buckets ``(index, count)`` of the positive values and of the
    magnitudes of the negative ones: value ``v`` lies in bucket ``ceil(log_γ |v|)``.
    """

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    zeros: int = 0
    pos_inf: int = 0
    neg_inf: int = 0
    nan: int = 0
    pos: tuple[_Ints, _Ints] = field(default_factory=lambda: (_empty(), _empty()))
    neg: tuple[_Ints, _Ints] = field(default_factory=lambda: (_empty(), _empty()))


def _buckets(magnitudes: NDArray[np.float64]) -> tuple[_Ints, _Ints]:
    index = np.ceil(np.log(magnitudes) / _LOG_GAMMA).astype(np.int64)
    keys, counts = np.unique(index, return_counts=True)
    return keys.astype(np.int64), counts.astype(np.int64)


def partial(values: NDArray[Any]) -> Partial:
    """The :class:`Partial` of every entry of ``values`` (any shape, any float dtype)."""
    x = np.asarray(values, dtype=np.float64).ravel()
    finite_mask = np.isfinite(x)
    finite = x[finite_mask]
    result = Partial(
        count=int(finite.size),
        pos_inf=int(np.count_nonzero(x == math.inf)),
        neg_inf=int(np.count_nonzero(x == -math.inf)),
        nan=int(np.count_nonzero(np.isnan(x))),
    )
    if finite.size:
        result.mean = float(finite.mean())
        result.m2 = float(np.square(finite - result.mean).sum())
        result.minimum = float(finite.min())
        result.maximum = float(finite.max())
        result.zeros = int(np.count_nonzero(finite == 0))
        result.pos = _buckets(finite[finite > 0])
        result.neg = _buckets(-finite[finite < 0])
    return result


def _add(a: tuple[_Ints, _Ints], b: tuple[_Ints, _Ints]) -> tuple[_Ints, _Ints]:
    keys, inverse = np.unique(np.concatenate([a[0], b[0]]), return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate([a[1], b[1]]), minlength=keys.size)
    return keys.astype(np.int64), counts.astype(np.int64)


def merge(a: Partial, b: Partial) -> Partial:
    """The partial of the values of ``a`` and of ``b`` together (Chan's parallel update)."""
    n = a.count + b.count
    if n == 0:
        mean, m2 = 0.0, 0.0
    else:
        delta = b.mean - a.mean
        mean = a.mean + delta * b.count / n
        m2 = a.m2 + b.m2 + delta * delta * a.count * b.count / n
    return Partial(
        count=n,
        mean=mean,
        m2=m2,
        minimum=min(a.minimum, b.minimum),
        maximum=max(a.maximum, b.maximum),
        zeros=a.zeros + b.zeros,
        pos_inf=a.pos_inf + b.pos_inf,
        neg_inf=a.neg_inf + b.neg_inf,
        nan=a.nan + b.nan,
        pos=_add(a.pos, b.pos),
        neg=_add(a.neg, b.neg),
    )


def _ascending(summary: Partial) -> tuple[NDArray[np.float64], _Ints]:
    """Representative values and counts of every sketch bucket, in increasing value order."""
    scale = 2.0 / (_GAMMA + 1.0)
    neg_keys, neg_counts = summary.neg
    pos_keys, pos_counts = summary.pos
    order = np.argsort(-neg_keys)  # larger magnitude first: the most negative values first
    values = np.concatenate(
        [
            -scale * np.exp(neg_keys[order] * _LOG_GAMMA),
            [0.0] if summary.zeros else [],
            scale * np.exp(pos_keys * _LOG_GAMMA),
        ]
    )
    counts = np.concatenate(
        [neg_counts[order], [summary.zeros] if summary.zeros else [], pos_counts]
    ).astype(np.int64)
    return np.clip(values, summary.minimum, summary.maximum), counts


def quantile(summary: Partial, q: float) -> float:
    """The sketch's estimate of the finite values' quantile ``q`` (see the module docstring)."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must lie in [0, 1], got {q!r}")
    if summary.count == 0:
        return math.nan
    values, counts = _ascending(summary)
    rank = math.floor(q * (summary.count - 1))
    position = int(np.searchsorted(np.cumsum(counts), rank, side="right"))
    return float(values[min(position, values.size - 1)])


def histogram(summary: Partial, bins: int) -> tuple[NDArray[np.float64], _Ints]:
    """``bins`` equal-width bins from min to max: their ``bins + 1`` edges and counts."""
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins!r}")
    counts = np.zeros(bins, dtype=np.int64)
    if summary.count == 0:
        return np.array([math.nan] * (bins + 1)), counts
    low, high = summary.minimum, summary.maximum
    edges = np.linspace(low, high, bins + 1)
    values, weights = _ascending(summary)
    span = high - low
    where = np.zeros(values.size, dtype=np.int64)
    if span > 0:
        where = np.minimum(((values - low) / span * bins).astype(np.int64), bins - 1)
    np.add.at(counts, where, weights)
    return edges, counts


def _number(value: float) -> str:
    return f"{value:.6g}"


def format_summary(name: str, summary: Partial, bins: int = 20, width: int = 40) -> str:
    """The text printed by ``--summary``: one ``name value`` line per statistic, the
    quantiles, then a text histogram of ``bins`` bars at most ``width`` characters long."""
    std = math.sqrt(summary.m2 / summary.count) if summary.count else math.nan
    lines = [
        f"summary of {name}: {summary.count} finite values, +inf {summary.pos_inf}, "
        f"-inf {summary.neg_inf}, nan {summary.nan}",
        f"count  {summary.count}",
        f"mean   {_number(summary.mean if summary.count else math.nan)}",
        f"std    {_number(std)}",
        f"min    {_number(summary.minimum if summary.count else math.nan)}",
        f"max    {_number(summary.maximum if summary.count else math.nan)}",
        f"quantiles (each within {RELATIVE_ACCURACY:.1%} of the exact value at rank "
        "floor(q*(count-1))):",
    ]
    for q in QUANTILES:
        lines.append(f"  q{round(q * 100):02d}  {_number(quantile(summary, q))}")
    if summary.count:
        edges, counts = histogram(summary, bins)
        labels = [f"[{_number(lo)}, {_number(hi)})" for lo, hi in itertools.pairwise(edges)]
        labels[-1] = labels[-1][:-1] + "]"
        label_width = max(len(label) for label in labels)
        count_width = len(str(int(counts.max())))
        peak = max(1, int(counts.max()))
        lines.append(
            f"histogram ({bins} equal bins from min to max; a value within "
            f"{RELATIVE_ACCURACY:.1%} of an edge may fall in the next bin):"
        )
        for label, count in zip(labels, counts, strict=True):
            bar = "#" * math.ceil(width * int(count) / peak)
            lines.append(f"  {label:<{label_width}}  {int(count):>{count_width}}  {bar}".rstrip())
    return "\n".join(lines)
