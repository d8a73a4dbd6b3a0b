# Types of the names divsym/symbols/__init__.py loads on first use (see its docstring).
from typing import Any

from divsym.symbols import definitions as definitions
from divsym.symbols.conditional import theta as theta
from divsym.symbols.gibbs import GibbsTerm as GibbsTerm
from divsym.symbols.information import Expectation as Expectation
from divsym.symbols.information import Information as Information
from divsym.symbols.information import Log2 as Log2
from divsym.symbols.notation import T as T
from divsym.symbols.notation import c as c
from divsym.symbols.notation import i as i
from divsym.symbols.notation import j as j
from divsym.symbols.notation import k as k
from divsym.symbols.notation import n as n
from divsym.symbols.notation import p as p
from divsym.symbols.notation import q as q
from divsym.symbols.notation import v as v
from divsym.symbols.notation import z as z
from divsym.symbols.quantities import CrossEntropy as CrossEntropy
from divsym.symbols.quantities import Entropy as Entropy
from divsym.symbols.quantities import JSDivergence as JSDivergence
from divsym.symbols.quantities import KLDivergence as KLDivergence
from divsym.symbols.quantities import NamedQuantity as NamedQuantity
from divsym.symbols.softmax import SoftmaxProbability as SoftmaxProbability

__all__: list[str]

D_KL = KLDivergence
JSD = JSDivergence

def H(first: Any, second: Any = None, classes: Any = None) -> Entropy | CrossEntropy: ...
def __getattr__(name: str) -> Any: ...
def __dir__() -> list[str]: ...
