"""Code generation: the proved forms printed as the array functions of the numeric layer."""

from divsym.codegen.generate import generate_module, write_module

__all__ = ["generate_module", "write_module"]
