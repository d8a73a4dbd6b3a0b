"""The derivations a user's module declares, for ``divsym verify MODULE_OR_FILE``.

The contract: the module (a ``.py`` file, or a dotted module name importable from the current
directory or ``sys.path``) has either

* a module-level ``DERIVATIONS``: an iterable of :class:`~divsym.kernel.derivation.Derivation`, or
* a function ``derivations()`` that takes no arguments and returns one.

Anything else — the module cannot be imported, raises while importing, declares neither name,
declares nothing, something that is not a Derivation, or two derivations with the same id —
is a :class:`LoadError` whose message is one line.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from divsym.cli.messages import shorten
from divsym.kernel.derivation import Derivation

__all__ = ["LoadError", "load_derivations"]

_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


class LoadError(Exception):
    """A user's module could not give its derivations; the message says why in one line."""


@contextmanager
def _current_directory_on_path() -> Iterator[None]:
    """Modules in the current directory are importable, as with ``python -m``."""
    sys.path.insert(0, str(Path.cwd()))
    try:
        yield
    finally:
        sys.path.remove(str(Path.cwd()))


def _from_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise LoadError(f"no such file: {shorten(str(path), 80)!r}")
    name = "divsym_user_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"cannot load {shorten(str(path), 80)!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _import(source: str) -> ModuleType:
    try:
        if source.endswith(".py") or "/" in source or "\\" in source:
            return _from_file(Path(source))
        if not _DOTTED.fullmatch(source):
            raise LoadError(f"{shorten(source)!r} is neither a .py file nor a dotted module name")
        with _current_directory_on_path():
            return importlib.import_module(source)
    except LoadError:
        raise
    except (Exception, SystemExit) as error:  # the user's code may raise anything
        detail = " ".join(str(error).split())
        raise LoadError(
            f"cannot import {shorten(source, 80)!r}: {type(error).__name__}: {shorten(detail, 160)}"
        ) from None


def load_derivations(source: str) -> tuple[Derivation, ...]:
    """The derivations declared by the module or ``.py`` file ``source`` (see the contract)."""
    module = _import(source)
    declared = getattr(module, "DERIVATIONS", None)
    factory = getattr(module, "derivations", None)
    where = shorten(source, 80)
    try:
        if declared is not None:
            items = tuple(declared)
        elif callable(factory):
            items = tuple(factory())
        else:
            raise LoadError(
                f"{where!r} declares neither DERIVATIONS (an iterable of Derivation) "
                "nor a function derivations()"
            )
    except LoadError:
        raise
    except Exception as error:
        raise LoadError(
            f"{where!r}: its derivations could not be read: {type(error).__name__}: "
            f"{shorten(' '.join(str(error).split()), 160)}"
        ) from None
    if not items:
        raise LoadError(f"{where!r} declares no derivations")
    for position, item in enumerate(items):
        if not isinstance(item, Derivation):
            raise LoadError(
                f"{where!r}: derivation {position} is a {type(item).__name__}, not a Derivation"
            )
    ids = [item.id for item in items]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise LoadError(f"{where!r}: derivation ids must be unique, repeated: {repeated}")
    return items
