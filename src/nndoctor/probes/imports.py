"""Install framework probes at the moment the user's script imports the framework.

`nndoctor run` must not import torch or keras itself (a NumPy script should not
pay for them, and `import nndoctor` works without them): a meta-path finder
waits for the script's own `import torch` / `import keras`, lets it complete,
then installs the probe. `import tf_keras` (Keras 2) gets a message saying it
is not supported.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nndoctor.observations import InternalError
from nndoctor.probes import KERAS2_MESSAGE
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
            from nndoctor.probes.adapters import TorchAdapter
            from nndoctor.probes.torch import TorchProbe

            probes.append(TorchProbe(session).install())
            session.attach(TorchAdapter(probes[-1]))
        except Exception as error:  # noqa: BLE001 - a probe that cannot start is a note
            session.emit(InternalError("torch probe", f"{type(error).__name__}: {error}"))

    def stand_down_torch() -> None:
        # Keras on the torch backend runs torch underneath (its layers are modules,
        # its losses call torch.nn.functional): once a Keras model is compiled or
        # fitted, only the Keras probe reports, or every fact would be seen twice.
        for probe in [p for p in probes if type(p).__name__ == "TorchProbe"]:
            probe.remove()
            probes.remove(probe)
            session.adapters.pop("torch", None)

    def start_keras() -> None:
        try:
            from nndoctor.probes.adapters import KerasAdapter
            from nndoctor.probes.keras import KerasProbe

            probes.append(KerasProbe(session, on_torch_backend=stand_down_torch).install())
            session.attach(KerasAdapter(probes[-1]))
        except Exception as error:  # noqa: BLE001 - a probe that cannot start is a note
            session.emit(InternalError("keras probe", f"{type(error).__name__}: {error}"))

    def keras2() -> None:
        print(f"nndoctor: {KERAS2_MESSAGE}", file=sys.stderr)
        session.emit(InternalError("keras probe", KERAS2_MESSAGE))

    finders = []
    for name, start in (("torch", start_torch), ("keras", start_keras), ("tf_keras", keras2)):
        if name in sys.modules:
            start()
        else:
            finders.append(_AfterImport(name, start))
            sys.meta_path.insert(0, finders[-1])
    try:
        yield
    finally:
        for finder in finders:
            if finder in sys.meta_path:
                sys.meta_path.remove(finder)
        for probe in probes:
            probe.remove()
