"""Minter keys: from a file or an environment variable, never from the config, never logged.

`PYENGINE_MINTER_KEYS_FILE` names a file with one hex private key per line (blank lines and
`#` comments ignored); `PYENGINE_MINTER_KEYS` holds comma-separated hex keys. The file wins
when both are set. A `MinterKey` prints as its address only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from pyengine.errors import EngineError

ENV_KEYS = "PYENGINE_MINTER_KEYS"
ENV_KEYS_FILE = "PYENGINE_MINTER_KEYS_FILE"


class MinterKeyError(EngineError, ValueError):
    """A key source is missing or malformed (the message never contains key material)."""


class MinterKey:
    __slots__ = ("_account",)

    def __init__(self, private_key: bytes | str) -> None:
        try:
            self._account: LocalAccount = Account.from_key(private_key)
        except (ValueError, TypeError) as e:
            raise MinterKeyError("malformed minter key") from e

    @property
    def address(self) -> str:
        return str(self._account.address)

    def sign_transaction(self, tx: dict[str, Any]) -> bytes:
        return bytes(self._account.sign_transaction(tx).raw_transaction)

    def __repr__(self) -> str:
        return f"MinterKey({self.address})"

    __str__ = __repr__


def _parse(lines: list[str], source: str) -> tuple[MinterKey, ...]:
    keys: list[MinterKey] = []
    for n, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            keys.append(MinterKey(text))
        except MinterKeyError:
            raise MinterKeyError(f"{source}: entry {n} is not a private key") from None
    if not keys:
        raise MinterKeyError(f"{source}: no keys")
    if len({k.address for k in keys}) != len(keys):
        raise MinterKeyError(f"{source}: a key is listed twice")
    return tuple(keys)


def load_minter_keys(env: Mapping[str, str] | None = None) -> tuple[MinterKey, ...]:
    environ = os.environ if env is None else env
    path = environ.get(ENV_KEYS_FILE)
    if path:
        try:
            text = Path(path).read_text()
        except OSError as e:
            raise MinterKeyError(f"{ENV_KEYS_FILE}: cannot read {path}: {e.strerror}") from None
        return _parse(text.splitlines(), ENV_KEYS_FILE)
    value = environ.get(ENV_KEYS)
    if value:
        return _parse(value.split(","), ENV_KEYS)
    raise MinterKeyError(f"set {ENV_KEYS_FILE} or {ENV_KEYS}")
