"""divsym.plotting: the notebooks' figures draw what they are given, and refuse bad input."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # no screen: the tests only inspect the artists

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from divsym import plotting  # noqa: E402


def _legend(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None, "no legend"
    return [t.get_text() for t in legend.get_texts()]


def _bars(ax: Axes) -> list[Rectangle]:
    bars = [patch for patch in ax.patches if isinstance(patch, Rectangle)]
    assert len(bars) == len(ax.patches)
    return bars


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def test_use_style_sets_the_fixed_style() -> None:
    matplotlib.rcParams["axes.grid"] = False
    plotting.use_style()
    assert matplotlib.rcParams["axes.grid"] is True
    assert matplotlib.rcParams["figure.dpi"] == plotting.STYLE["figure.dpi"]


@pytest.mark.parametrize("ncols", [1, 2, 3])
def test_subplots_has_the_fixed_size(ncols: int) -> None:
    fig, axes = plotting.subplots(ncols)
    assert len(axes) == ncols
    assert tuple(fig.get_size_inches()) == plotting.FIGSIZE[ncols]


@pytest.mark.parametrize(("ncols", "error"), [(0, ValueError), (4, ValueError), (1.0, TypeError)])
def test_subplots_refuses_other_counts(ncols: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="ncols"):
        plotting.subplots(ncols)  # type: ignore[arg-type]


def test_grouped_bars_draws_one_bar_per_value_centred_on_the_labels() -> None:
    _, (ax,) = plotting.subplots()
    plotting.grouped_bars(ax, {"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0]}, ["x", "y", "z"])
    bars = _bars(ax)
    assert [b.get_height() for b in bars] == [1.0, 2.0, 3.0, 3.0, 2.0, 1.0]
    centres = [b.get_x() + b.get_width() / 2 for b in bars]
    # Two bars of width 0.4 in each group, ±0.2 around the group's position 0, 1, 2.
    np.testing.assert_allclose(centres, [-0.2, 0.8, 1.8, 0.2, 1.2, 2.2])
    assert _legend(ax) == ["a", "b"]


@pytest.mark.parametrize(
    ("series", "message"),
    [
        ({}, "at least one series"),
        ({"a": [1.0, 2.0]}, r"series\['a'\] has 2 values but there are 3 labels"),
        ({"a": [1.0, np.nan, 2.0]}, r"series\['a'\] must be finite"),
        ({"a": [[1.0, 2.0, 3.0]]}, r"series\['a'\] must be a non-empty 1-D array"),
    ],
)
def test_grouped_bars_refuses_bad_series(series: dict[str, object], message: str) -> None:
    _, (ax,) = plotting.subplots()
    with pytest.raises(ValueError, match=message):
        plotting.grouped_bars(ax, series, ["x", "y", "z"])  # type: ignore[arg-type]


def test_grouped_bars_refuses_text_for_numbers() -> None:
    _, (ax,) = plotting.subplots()
    with pytest.raises(TypeError, match=r"series\['a'\] must be numbers"):
        plotting.grouped_bars(ax, {"a": ["one", "two"]}, ["x", "y"])


def test_stacked_bars_stack_in_order() -> None:
    _, (ax,) = plotting.subplots()
    plotting.stacked_bars(ax, {"H": [1.0, 0.5], "KL": [0.25, 2.0]}, ["P1", "P2"])
    bottoms = [b.get_y() for b in _bars(ax)]
    tops = [b.get_y() + b.get_height() for b in _bars(ax)]
    assert bottoms == [0.0, 0.0, 1.0, 0.5]
    assert tops == [1.0, 0.5, 1.25, 2.5]


def test_stacked_bars_refuse_negative_parts() -> None:
    _, (ax,) = plotting.subplots()
    with pytest.raises(ValueError, match=r"parts\['KL'\] must be nonnegative"):
        plotting.stacked_bars(ax, {"H": [1.0], "KL": [-0.1]}, ["P"])


def test_heatmap_puts_rows_on_y_and_fixes_the_scale() -> None:
    plotting.use_style()  # grid lines on: the heat map must turn them off
    _, (ax,) = plotting.subplots()
    values = np.arange(6.0).reshape(2, 3)  # 2 values of y, 3 of x
    image = plotting.heatmap(ax, values, x=[0.0, 0.5, 1.0], y=[0.0, 1.0], label="v", vmax=7.0)
    np.testing.assert_array_equal(image.get_array(), values)
    assert image.get_clim() == (0.0, 7.0)
    assert list(image.get_extent()) == [0.0, 1.0, 0.0, 1.0]
    assert not any(line.get_visible() for line in ax.get_xgridlines())


def test_heatmap_takes_a_signed_scale_and_a_colour_map() -> None:
    _, (ax,) = plotting.subplots()
    values = np.array([[-1.0, 0.5], [0.0, 1.0]])
    image = plotting.heatmap(
        ax, values, x=[0.0, 1.0], y=[0.0, 1.0], label="d", vmin=-2.0, vmax=2.0, cmap="RdBu_r"
    )
    assert image.get_clim() == (-2.0, 2.0)
    assert image.get_cmap().name == "RdBu_r"
    with pytest.raises(ValueError, match="vmin must be finite, got nan"):
        plotting.heatmap(ax, values, x=[0.0, 1.0], y=[0.0, 1.0], label="d", vmin=float("nan"))


@pytest.mark.parametrize(
    ("x", "y", "vmax", "message"),
    [
        ([0.0, 1.0], [0.0, 1.0], None, r"values must have shape \(len\(y\), len\(x\)\) = \(2, 2\)"),
        ([0.0, 0.5, 1.0], [0.0, 1.0], -1.0, r"vmax must be finite and above vmin = 0.0, got -1.0"),
        ([0.0, 0.5, 1.0], [], None, "y must be a non-empty 1-D array"),
    ],
)
def test_heatmap_refuses_a_grid_of_the_wrong_shape(
    x: list[float], y: list[float], vmax: float | None, message: str
) -> None:
    _, (ax,) = plotting.subplots()
    with pytest.raises(ValueError, match=message):
        plotting.heatmap(ax, np.zeros((2, 3)), x, y, label="v", vmax=vmax)


def test_mark_levels_draws_labelled_lines() -> None:
    _, (ax,) = plotting.subplots()
    plotting.mark_levels(ax, {"0": 0.0, "log n": float(np.log(4))})
    lines = ax.get_lines()
    assert [float(np.asarray(line.get_ydata())[0]) for line in lines] == [0.0, float(np.log(4))]
    assert _legend(ax) == ["0", "log n"]


@pytest.mark.parametrize("levels", [{}, {"top": float("inf")}])
def test_mark_levels_refuses_no_or_infinite_levels(levels: dict[str, float]) -> None:
    _, (ax,) = plotting.subplots()
    with pytest.raises(ValueError, match="levels"):
        plotting.mark_levels(ax, levels)


def test_loglog_slope_recovers_the_power() -> None:
    x = np.geomspace(1.0, 1e3, 7)
    assert plotting.loglog_slope(x, 3.0 * x**-2) == pytest.approx(-2.0, abs=1e-12)
    assert plotting.loglog_slope(x, -(x**0.5)) == pytest.approx(0.5, abs=1e-12)  # sign ignored
    # A checker that cannot fail proves nothing: 1/x is not slope -2.
    assert plotting.loglog_slope(x, 1.0 / x) != pytest.approx(-2.0, abs=0.1)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([1.0, 2.0], [1.0], "same length"),
        ([1.0], [1.0], "same length >= 2"),
        ([0.0, 1.0], [1.0, 2.0], "x must be positive"),
        ([1.0, 2.0], [0.0, 2.0], "y nonzero"),
    ],
)
def test_loglog_slope_refuses_bad_points(x: list[float], y: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plotting.loglog_slope(x, y)


def test_slope_guide_has_the_slope_and_passes_through_the_point() -> None:
    _, (ax,) = plotting.subplots()
    plotting.slope_guide(ax, [1.0, 10.0, 100.0], through=(10.0, 2.0), slope=-2.0)
    (line,) = ax.get_lines()
    np.testing.assert_allclose(np.asarray(line.get_ydata()), np.array([200.0, 2.0, 0.02]))
    assert ax.get_xscale() == "log"
    assert ax.get_yscale() == "log"


def test_slope_guide_refuses_points_off_the_log_axes() -> None:
    _, (ax,) = plotting.subplots()
    with pytest.raises(ValueError, match="through must be a point with positive coordinates"):
        plotting.slope_guide(ax, [1.0, 2.0], through=(1.0, 0.0), slope=1.0)
    with pytest.raises(ValueError, match="x must be positive"):
        plotting.slope_guide(ax, [0.0, 2.0], through=(1.0, 1.0), slope=1.0)
