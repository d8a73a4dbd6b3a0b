"""divsym: derive, prove, render and numerically verify the mathematics of classification
losses and knowledge distillation."""

from divsym.numeric.functions import cross_entropy, entropy, kl_divergence

__version__ = "0.1.0"

__all__ = ["__version__", "cross_entropy", "entropy", "kl_divergence"]
