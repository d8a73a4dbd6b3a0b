"""The lecture's identities, one module per section, gathered in lecture order."""

from __future__ import annotations

from divsym.derivation import Derivation
from divsym.identities.cross_entropy_kl import cross_entropy_decomposition

__all__ = ["all_derivations"]


def all_derivations() -> tuple[Derivation, ...]:
    """Every derivation divsym verifies, in the order of the lecture."""
    return (cross_entropy_decomposition(),)
