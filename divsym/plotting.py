"""Shared plotting helpers for the teaching notebooks: one style, fixed sizes, checked inputs.

The notebooks draw the same few kinds of figure — grouped bars of distributions, stacked bars of
a decomposition, heat maps over a grid of Bernoulli pairs, limits marked on a curve and a
reference slope on log-log axes. Writing them once here keeps every notebook short and every
figure alike, and lets the tests feed them wrong input. Nothing here computes a formula that
divsym has: callers pass values computed with :mod:`divsym`'s array functions.

This module sits on top of the package (nothing in divsym imports it) and needs matplotlib,
which the ``notebooks`` extra installs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "FIGSIZE",
    "STYLE",
    "grouped_bars",
    "heatmap",
    "loglog_slope",
    "mark_levels",
    "slope_guide",
    "stacked_bars",
    "subplots",
    "use_style",
]

#: The notebooks' matplotlib settings: the figures look the same on every machine and run.
STYLE: dict[str, Any] = {
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "lines.linewidth": 1.8,
    "image.cmap": "viridis",
    "axes.prop_cycle": cycler(
        color=["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]
    ),
}

#: Figure sizes in inches, by the number of panels side by side (1, 2 or 3).
FIGSIZE: dict[int, tuple[float, float]] = {1: (5.0, 3.5), 2: (10.0, 3.5), 3: (13.5, 3.5)}


def use_style() -> None:
    """Apply :data:`STYLE` to matplotlib's global settings (call once, at the top).

    Returns
    -------
    None
        Matplotlib's ``rcParams`` are changed in place.
    """
    plt.style.use(STYLE)


def subplots(ncols: int = 1) -> tuple[Figure, list[Axes]]:
    """A figure of ``ncols`` panels side by side (1 to 3), at the fixed size for that count.

    Parameters
    ----------
    ncols : int, optional
        The number of panels, 1, 2 or 3 (sizes in :data:`FIGSIZE`).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure, with constrained layout.
    axes : list of matplotlib.axes.Axes
        The panels, left to right (a list even for one panel).

    Raises
    ------
    TypeError
        When ``ncols`` is not an int.
    ValueError
        When ``ncols`` is not 1, 2 or 3.
    """
    if isinstance(ncols, bool) or not isinstance(ncols, int):
        raise TypeError(f"ncols must be an int, got {ncols!r}")
    if ncols not in FIGSIZE:
        raise ValueError(f"ncols must be one of {sorted(FIGSIZE)}, got {ncols!r}")
    fig, axes = plt.subplots(1, ncols, figsize=FIGSIZE[ncols], layout="constrained")
    return fig, list(np.atleast_1d(axes))


def _vector(name: str, values: ArrayLike) -> NDArray[np.float64]:
    """``values`` as a 1-D float array, or a ValueError naming ``name``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numbers, got {values!r}") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {array!r}")
    return array


def _series(
    name: str, series: Mapping[str, ArrayLike], labels: Sequence[str]
) -> dict[str, NDArray[np.float64]]:
    """Each named vector of ``series``, all as long as ``labels``."""
    if not series:
        raise ValueError(f"{name} must name at least one series, got {series!r}")
    checked = {key: _vector(f"{name}[{key!r}]", values) for key, values in series.items()}
    for key, array in checked.items():
        if array.size != len(labels):
            raise ValueError(
                f"{name}[{key!r}] has {array.size} values but there are {len(labels)} labels"
            )
    return checked


def grouped_bars(
    ax: Axes, series: Mapping[str, ArrayLike], labels: Sequence[str], *, width: float = 0.8
) -> None:
    """One group of bars per label, one bar in each group per series (e.g. ``q`` at each ``T``).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel to draw on.
    series : mapping of str to array_like
        The bars: one finite 1-D vector per legend entry, each as long as ``labels``.
    labels : sequence of str
        The label under each group.
    width : float, optional
        The width of a whole group, in ``(0, 1]``.

    Returns
    -------
    None
        The bars and a legend are drawn on ``ax``.

    Raises
    ------
    TypeError
        When a series is not numbers.
    ValueError
        When ``series`` is empty, a series is not finite or not as long as ``labels``, or
        ``width`` is outside ``(0, 1]``.
    """
    checked = _series("series", series, labels)
    if not 0 < width <= 1:
        raise ValueError(f"width must be in (0, 1], got {width!r}")
    positions = np.arange(len(labels), dtype=np.float64)
    bar = width / len(checked)
    for offset, (key, values) in enumerate(checked.items()):
        shift = (offset - (len(checked) - 1) / 2) * bar
        ax.bar(positions + shift, values, width=bar, label=key)
    ax.set_xticks(positions, list(labels))
    ax.legend()


def stacked_bars(ax: Axes, parts: Mapping[str, ArrayLike], labels: Sequence[str]) -> None:
    """Bars made of nonnegative ``parts`` stacked in order (e.g. ``H(P)`` then ``D_KL``).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel to draw on.
    parts : mapping of str to array_like
        The layers, bottom first: nonnegative finite vectors, each as long as ``labels``.
    labels : sequence of str
        The label under each bar.

    Returns
    -------
    None
        The bars and a legend are drawn on ``ax``.

    Raises
    ------
    TypeError
        When a part is not numbers.
    ValueError
        When ``parts`` is empty, or a part is negative, not finite or of the wrong length.
    """
    checked = _series("parts", parts, labels)
    for key, values in checked.items():
        if np.any(values < 0):
            raise ValueError(f"parts[{key!r}] must be nonnegative to stack, got {values!r}")
    positions = np.arange(len(labels), dtype=np.float64)
    bottom = np.zeros(len(labels))
    for key, values in checked.items():
        ax.bar(positions, values, bottom=bottom, label=key, width=0.6)
        bottom = bottom + values
    ax.set_xticks(positions, list(labels))
    ax.legend()


def heatmap(
    ax: Axes,
    values: ArrayLike,
    x: ArrayLike,
    y: ArrayLike,
    *,
    label: str,
    vmin: float = 0.0,
    vmax: float | None = None,
    cmap: str | None = None,
) -> AxesImage:
    """``values[row, column]`` over the grid ``y[row]`` × ``x[column]``, with a colour bar.

    The colour scale runs from ``vmin`` (default 0: divergences are nonnegative) to ``vmax``
    (default: the largest value; fix it to show a bound, e.g. ``log 2``). A signed quantity
    takes a symmetric ``vmin = -vmax`` and a diverging ``cmap`` such as ``"RdBu_r"``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel to draw on.
    values : array_like
        The grid of values, shape ``(len(y), len(x))``.
    x, y : array_like
        The finite, increasing coordinates of the columns and the rows.
    label : str
        The colour bar's label.
    vmin : float, optional
        The bottom of the colour scale.
    vmax : float or None, optional
        The top of the colour scale, above ``vmin``; the largest value when None.
    cmap : str or None, optional
        A matplotlib colour map name; the style's default when None.

    Returns
    -------
    matplotlib.image.AxesImage
        The image (its colour bar is added to the figure).

    Raises
    ------
    TypeError
        When ``x`` or ``y`` is not numbers.
    ValueError
        When ``values`` has the wrong shape, or ``vmin``/``vmax`` is not finite or
        ``vmax <= vmin``.
    """
    grid = np.asarray(values, dtype=np.float64)
    xs, ys = _vector("x", x), _vector("y", y)
    if grid.shape != (ys.size, xs.size):
        raise ValueError(
            f"values must have shape (len(y), len(x)) = {(ys.size, xs.size)}, got {grid.shape}"
        )
    if not np.isfinite(vmin):
        raise ValueError(f"vmin must be finite, got {vmin!r}")
    if vmax is not None and not (np.isfinite(vmax) and vmax > vmin):
        raise ValueError(f"vmax must be finite and above vmin = {vmin!r}, got {vmax!r}")
    image = ax.imshow(
        grid,
        origin="lower",
        extent=(float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1])),
        aspect="auto",
        vmin=vmin,
        vmax=vmax,
        cmap=cmap,
    )
    ax.grid(False)  # grid lines would cross the image
    ax.figure.colorbar(image, ax=ax, label=label)
    return image


def mark_levels(ax: Axes, levels: Mapping[str, float]) -> None:
    """Dashed horizontal lines at each named level (limits, bounds), labelled in the legend.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel to draw on.
    levels : mapping of str to float
        ``{legend label: height}``, e.g. ``{"log n": math.log(n)}``.

    Returns
    -------
    None
        The lines and a legend are drawn on ``ax``.

    Raises
    ------
    ValueError
        When ``levels`` is empty or a level is not finite.
    """
    if not levels:
        raise ValueError(f"levels must name at least one level, got {levels!r}")
    for name, level in levels.items():
        if not np.isfinite(level):
            raise ValueError(f"levels[{name!r}] must be finite, got {level!r}")
        ax.axhline(level, linestyle="--", color="grey", linewidth=1.0, label=name)
    ax.legend()


def loglog_slope(x: ArrayLike, y: ArrayLike) -> float:
    """The least-squares slope of ``log |y|`` against ``log x``: the power ``a`` in ``y ∝ x^a``.

    Parameters
    ----------
    x : array_like
        Positive finite abscissae.
    y : array_like
        Nonzero finite ordinates, as many as ``x`` (at least 2).

    Returns
    -------
    float
        The fitted slope, e.g. ``-2`` for ``y ∝ 1/x²``.

    Raises
    ------
    TypeError
        When ``x`` or ``y`` is not numbers.
    ValueError
        When the lengths differ or are below 2, or an ``x`` is not positive or a ``y`` is 0.
    """
    xs, ys = _vector("x", x), _vector("y", y)
    if xs.size != ys.size or xs.size < 2:
        raise ValueError(f"x and y must have the same length >= 2, got {xs.size} and {ys.size}")
    if np.any(xs <= 0) or np.any(ys == 0):
        raise ValueError("x must be positive and y nonzero for a log-log slope")
    slope, _ = np.polyfit(np.log(xs), np.log(np.abs(ys)), 1)
    return float(slope)


def slope_guide(ax: Axes, x: ArrayLike, through: tuple[float, float], slope: float) -> None:
    """A dotted line of the given ``slope`` on log-log axes through the point ``through``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel to draw on.
    x : array_like
        Positive abscissae where the line is drawn.
    through : tuple of float
        A point ``(x0, y0)`` with positive coordinates on the line.
    slope : float
        The power of the guide, ``y = y0 (x / x0) ** slope``.

    Returns
    -------
    None
        The line and a legend are drawn on ``ax``.

    Raises
    ------
    TypeError
        When ``x`` is not numbers.
    ValueError
        When ``through`` or an ``x`` is not positive.
    """
    xs = _vector("x", x)
    x0, y0 = through
    if not (x0 > 0 and y0 > 0):
        raise ValueError(f"through must be a point with positive coordinates, got {through!r}")
    if np.any(xs <= 0):
        raise ValueError("x must be positive on log-log axes")
    ax.loglog(xs, y0 * (xs / x0) ** slope, ":", color="black", label=f"slope {slope:g}")
    ax.legend()
