"""divsym: derive, prove, render and numerically verify the mathematics of classification
losses and knowledge distillation."""

from divsym.numeric.functions import (
    cross_entropy,
    entropy,
    js_distance,
    js_divergence,
    kl_divergence,
    log_softmax,
    nll,
    softmax,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "cross_entropy",
    "entropy",
    "js_distance",
    "js_divergence",
    "kl_divergence",
    "log_softmax",
    "nll",
    "softmax",
]
