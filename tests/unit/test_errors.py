"""Every exception class of the package derives from the one root, `pyengine.errors.EngineError`."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pyengine
from pyengine import _core
from pyengine.errors import ConfigError, EngineError
from pyengine.runtime.control import ControlError
from pyengine.store import StoreError
from pyengine.venues.private.errors import VenueAuthError, VenueTransportError


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(pyengine.__path__, prefix="pyengine."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            # Classes defined in this module (re-exports are checked where they are defined).
            if issubclass(obj, BaseException) and obj.__module__ == info.name:
                found[f"{info.name}.{obj.__qualname__}"] = obj
    for name, obj in inspect.getmembers(_core, inspect.isclass):
        if issubclass(obj, BaseException):
            found[f"pyengine._core.{name}"] = obj
    return found


def test_every_exception_of_the_package_derives_from_the_root() -> None:
    found = _exception_classes()
    # The walk really sees the package's exceptions (a walk that found none would pass).
    for known in (
        "pyengine.errors.ConfigError",
        "pyengine.messages.codec.DecodeError",
        "pyengine.store.base.StoreError",
        "pyengine.runtime.control.ControlError",
        "pyengine.oracles.errors.OracleParseError",
        "pyengine.venues.private.errors.PrivateClientError",
        "pyengine._core.InvalidDecimal",
    ):
        assert known in found
    outside = sorted(name for name, cls in found.items() if not issubclass(cls, EngineError))
    assert outside == []


def test_the_native_root_is_the_python_root() -> None:
    assert EngineError is _core.EngineError
    # The root is no builtin's subclass but Exception's: only each class picks one.
    assert EngineError.__bases__ == (Exception,)
    assert not issubclass(StoreError, ValueError) and not issubclass(ControlError, ValueError)
    with pytest.raises(EngineError):
        _core.Feed("no-such-venue")


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (ConfigError, ValueError),
        (StoreError, OSError),
        (ControlError, ConnectionError),
        (VenueTransportError, ConnectionError),
        (VenueAuthError, PermissionError),
    ],
)
def test_each_error_is_also_its_closest_builtin(
    cls: type[BaseException], builtin: type[BaseException]
) -> None:
    assert issubclass(cls, EngineError)
    assert issubclass(cls, builtin)
