"""divsym: derive, prove, render and numerically verify the mathematics of classification
losses and knowledge distillation.

The array functions (``softmax``, ``kl_divergence`` …) are imported with the package; the
symbolic side — ``Derivation``, ``Step``, ``Relation``, ``Context``, ``verify`` and the
report types — is loaded on first use, so ``import divsym`` for the numerics does not import
SymPy. The notation to write a derivation in is :mod:`divsym.symbols`.

In IPython or Jupyter, derivations and reports display as rendered math with each step's
justification and status (:mod:`divsym.display`); ``%load_ext divsym`` does the same for a
shell started after divsym was imported.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

from divsym.numeric.distillation import (
    cross_entropy_from_logits,
    distillation_loss,
    distillation_loss_grad,
)
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

if TYPE_CHECKING:
    from divsym.api import VerifiedReport, verify
    from divsym.kernel.context import Context
    from divsym.kernel.derivation import Derivation, Relation, Step
    from divsym.kernel.verify import DerivationReport, Status, StepReport

__version__ = "0.1.0"

__all__ = [
    "Context",
    "Derivation",
    "DerivationReport",
    "Relation",
    "Status",
    "Step",
    "StepReport",
    "VerifiedReport",
    "__version__",
    "cross_entropy",
    "cross_entropy_from_logits",
    "distillation_loss",
    "distillation_loss_grad",
    "entropy",
    "js_distance",
    "js_divergence",
    "kl_divergence",
    "load_ipython_extension",
    "log_softmax",
    "nll",
    "softmax",
    "verify",
]

#: Symbolic public names, loaded on first use: name → module that defines it.
_LAZY: dict[str, str] = {
    "Context": "divsym.kernel.context",
    "Derivation": "divsym.kernel.derivation",
    "Relation": "divsym.kernel.derivation",
    "Step": "divsym.kernel.derivation",
    "DerivationReport": "divsym.kernel.verify",
    "Status": "divsym.kernel.verify",
    "StepReport": "divsym.kernel.verify",
    "VerifiedReport": "divsym.api",
    "verify": "divsym.api",
}


def __getattr__(name: str) -> Any:
    """Import a symbolic public name (and with it SymPy) only when it is first used."""
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'divsym' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _verify_for_display(derivation: Any) -> Any:
    from divsym.api import verify as public_verify

    return public_verify(derivation)


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext divsym``: display derivations and reports as rendered math in ``shell``.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        The running IPython shell, which IPython passes in.

    Returns
    -------
    None
    """
    from divsym.display import register

    register(shell, verifier=_verify_for_display)


def _register_in_running_shell() -> None:
    """Register the display formatters if this import happens inside IPython (cheap: no SymPy)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    if shell is not None and getattr(shell, "display_formatter", None) is not None:
        load_ipython_extension(shell)


_register_in_running_shell()
