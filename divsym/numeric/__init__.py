"""Numeric layer: NumPy functions generated from the symbolic definitions."""
