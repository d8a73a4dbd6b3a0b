"""Rendering: the lecture's notation in LaTeX, derivations as documents."""
