"""Install framework probes at the moment the user's script imports the framework.

`nndoctor run` must not import torch itself (a NumPy script should not pay for
it, and `import nndoctor` works without torch): a meta-path finder waits for
the script's own `import torch`, lets it complete, then installs the probe.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nndoctor.observations import InternalError
from nndoctor.session import Session


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls back once the named top-level package has been imported."""

    def __init__(self, name: str, callback: Callable[[], None]) -> None:
        self.name, self.callback, self.busy = name, callback, False

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != self.name or self.busy:
            return None
        self.busy = True
        try:
            spec = importlib.machinery.PathFinder.find_spec(name, path)
        finally:
            self.busy = False
        if spec is None or spec.loader is None:
            return None
        loader, callback = spec.loader, self.callback

        class Loader(importlib.abc.Loader):
            def create_module(self, spec: Any) -> Any:
                return loader.create_module(spec)

            def exec_module(self, module: Any) -> None:
                spec.loader = module.__loader__ = loader  # the package sees its real loader
                loader.exec_module(module)
                callback()

        spec.loader = Loader()
        return spec


@contextmanager
def instrument(session: Session) -> Iterator[None]:
    """Probes for every framework the script imports, removed when the block ends."""
    probes: list[Any] = []

    def start_torch() -> None:
        try:
            from nndoctor.probes.torch import TorchProbe

            probes.append(TorchProbe(session).install())
        except Exception as error:  # noqa: BLE001 - a probe that cannot start is a note
            session.emit(InternalError("torch probe", f"{type(error).__name__}: {error}"))

    finder = _AfterImport("torch", start_torch)
    if "torch" in sys.modules:
        start_torch()
    else:
        sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
        for probe in probes:
            probe.remove()
