"""RedStone signed data packages: parse, rebuild the signed bytes, recover the signer, aggregate.

A RedStone node signs one package per feed (or per group of feeds) every few seconds; the
gateway `GET /data-packages/latest/<dataServiceId>` returns `{dataFeedId: [package, ...]}`,
one package per node. Each package is signed over (RedStone protocol, `DataPackage.toBytes`):

    for each data point, sorted by its bytes32 feed id:
        dataFeedId as bytes32 (UTF-8, right-padded with zeros; keccak256 if over 31 bytes)
        value as a big-endian unsigned integer of `valueByteSize` (default 32) bytes,
              round(value x 10^decimals) with decimals default 8
    timestamp in milliseconds             6 bytes
    each data point's value byte size     4 bytes
    number of data points                 3 bytes

and the signature is over keccak256 of that (a raw digest, no Ethereum message prefix):
65 bytes r || s || v, base64. The fixture's 515 packages all recover to their `signerAddress`.

Numeric values are JSON numbers that the node held as IEEE doubles and wrote out with
`Number(value).toFixed(decimals)`: the exact integer that was signed is the double's exact
binary value rounded half-up at `decimals` places. That is why `value` is decoded as a float
here, and only here: the float is the wire value, and it is turned into an exact integer at
once (`signed_integer`). Every price we publish is that integer / 10^decimals, a `Decimal`.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

import msgspec
from eth_keys.datatypes import Signature
from eth_keys.exceptions import BadSignature
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError

from pyengine.errors import EngineError
from pyengine.oracles.errors import OracleParseError

DEFAULT_DECIMALS = 8
DEFAULT_VALUE_BYTE_SIZE = 32
MAX_VALUE_BYTE_SIZE = 32
MAX_DECIMALS = 36
TIMESTAMP_BS = 6
VALUE_BYTE_SIZE_BS = 4
DATA_POINTS_COUNT_BS = 3

_CTX = Context(prec=200)

UNSIGNED = "unsigned"
BAD_SIGNATURE = "bad_signature"
UNKNOWN_SIGNER = "unknown_signer"
STALE = "stale"
FUTURE = "future"
MALFORMED = "malformed"
DUPLICATE_SIGNER = "duplicate_signer"


class RedstoneParseError(OracleParseError):
    """A gateway response that is not `{dataFeedId: [package, ...]}`."""


class _RawPoint(msgspec.Struct):
    dataFeedId: str
    value: int | float | str
    decimals: int | None = None
    valueByteSize: int | None = None


class _RawPackage(msgspec.Struct):
    timestampMilliseconds: int
    dataPoints: list[_RawPoint]
    signature: str | None = None
    signerAddress: str | None = None
    dataPackageId: str | None = None


_response_decoder = msgspec.json.Decoder(dict[str, list[msgspec.Raw]])
_package_decoder = msgspec.json.Decoder(_RawPackage)


@dataclass(frozen=True, slots=True)
class DataPoint:
    """One signed value: the exact integer that was signed and its decimals."""

    feed_id: str
    signed_int: int
    decimals: int = DEFAULT_DECIMALS
    value_byte_size: int = DEFAULT_VALUE_BYTE_SIZE

    @property
    def value(self) -> Decimal:
        """The signed value, exactly."""
        return Decimal(self.signed_int).scaleb(-self.decimals, _CTX)


@dataclass(frozen=True, slots=True)
class DataPackage:
    """One node's signed package."""

    points: tuple[DataPoint, ...]
    timestamp_ms: int
    signature: bytes | None
    claimed_signer: str | None
    package_id: str = ""

    def point(self, feed_id: str) -> DataPoint | None:
        for p in self.points:
            if p.feed_id == feed_id:
                return p
        return None


def signed_integer(value: int | float | str | Decimal, decimals: int) -> int:
    """The integer a RedStone node signs for `value` (JS `toFixed`, half-up, on the exact value).

    Raises `ValueError` on a negative, non-finite or non-numeric value.
    """
    if isinstance(value, bool):
        raise ValueError("boolean is not a numeric value")
    try:
        # float -> Decimal is exact (the double's binary value), as toFixed sees it.
        exact = Decimal(value)
    except (InvalidOperation, ValueError):
        raise ValueError(f"value {value!r} is not a number") from None
    if not exact.is_finite():
        raise ValueError(f"value {value!r} is not finite")
    if exact < 0:
        raise ValueError(f"negative value {value!r}")
    scaled = exact.scaleb(decimals, _CTX).quantize(Decimal(1), ROUND_HALF_UP, _CTX)
    return int(scaled)


def feed_id_bytes32(feed_id: str) -> bytes:
    """The bytes32 form of a data feed id (RedStone `convertStringToBytes32`)."""
    raw = feed_id.encode()
    if len(feed_id) > 31:
        return keccak(raw)
    return raw.ljust(32, b"\0")


def _point(raw: _RawPoint) -> DataPoint:
    decimals = DEFAULT_DECIMALS if raw.decimals is None else raw.decimals
    size = DEFAULT_VALUE_BYTE_SIZE if raw.valueByteSize is None else raw.valueByteSize
    if not 0 <= decimals <= MAX_DECIMALS:
        raise ValueError(f"decimals {decimals} out of range")
    if not 0 < size <= MAX_VALUE_BYTE_SIZE:
        raise ValueError(f"valueByteSize {size} out of range")
    if not raw.dataFeedId or len(raw.dataFeedId.encode()) > 256:
        raise ValueError("bad dataFeedId")
    n = signed_integer(raw.value, decimals)
    if n.bit_length() > size * 8:
        raise ValueError(f"value {raw.value!r} overflows {size} bytes")
    return DataPoint(raw.dataFeedId, n, decimals, size)


def package_from_raw(raw: _RawPackage) -> DataPackage:
    """A typed package from its decoded JSON; `ValueError` names what is wrong."""
    if not raw.dataPoints:
        raise ValueError("no data points")
    if not 0 < raw.timestampMilliseconds < 1 << (8 * TIMESTAMP_BS):
        raise ValueError(f"timestamp {raw.timestampMilliseconds} out of range")
    points = tuple(_point(p) for p in raw.dataPoints)
    if len({p.value_byte_size for p in points}) != 1:
        raise ValueError("data points of one package must share a value byte size")
    if len({feed_id_bytes32(p.feed_id) for p in points}) != len(points):
        raise ValueError("duplicate dataFeedId in package")
    signature = None
    if raw.signature:
        try:
            signature = base64.b64decode(raw.signature, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("signature is not base64") from None
    return DataPackage(
        points, raw.timestampMilliseconds, signature, raw.signerAddress, raw.dataPackageId or ""
    )


def parse_package(data: bytes | str | Mapping[str, object]) -> DataPackage:
    """One package from JSON text or an already decoded dict; raises `ValueError`."""
    try:
        if isinstance(data, bytes | str):
            raw = _package_decoder.decode(data)
        else:
            raw = msgspec.convert(dict(data), _RawPackage)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ValueError(f"malformed package: {exc}") from None
    return package_from_raw(raw)


def signable_bytes(pkg: DataPackage) -> bytes:
    """The bytes a node signs (see the module docstring)."""
    points = sorted(pkg.points, key=lambda p: feed_id_bytes32(p.feed_id))
    size = points[0].value_byte_size
    body = b"".join(feed_id_bytes32(p.feed_id) + p.signed_int.to_bytes(size, "big") for p in points)
    return (
        body
        + pkg.timestamp_ms.to_bytes(TIMESTAMP_BS, "big")
        + size.to_bytes(VALUE_BYTE_SIZE_BS, "big")
        + len(points).to_bytes(DATA_POINTS_COUNT_BS, "big")
    )


def signable_hash(pkg: DataPackage) -> bytes:
    """keccak256 of the signed bytes: the digest the signature is over."""
    return keccak(signable_bytes(pkg))


class SignatureInvalid(EngineError, ValueError):
    """A signature that does not recover to any key (wrong length, bad v, off the curve)."""


def recover_signer(pkg: DataPackage) -> str:
    """The checksummed address that signed this package; raises `SignatureInvalid`."""
    sig = pkg.signature
    if sig is None or len(sig) != 65:
        raise SignatureInvalid("signature must be 65 bytes r||s||v")
    v = sig[64]
    if v >= 27:
        v -= 27
    if v not in (0, 1):
        raise SignatureInvalid(f"bad recovery id {sig[64]}")
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:64], "big")
    try:
        public = Signature(vrs=(v, r, s)).recover_public_key_from_msg_hash(signable_hash(pkg))
    except (BadSignature, ValidationError, ValueError) as exc:
        raise SignatureInvalid(str(exc)) from None
    return str(public.to_checksum_address())


def normalise_address(address: str) -> str:
    """An address in checksum form; `ValueError` if it is not 20 bytes of hex."""
    return str(to_checksum_address(address))


@dataclass(frozen=True, slots=True)
class Rejection:
    """A package that was not used, and why."""

    feed_id: str
    reason: str
    signer: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AggregatedPrice:
    """The median of one feed across packages of distinct allowed signers."""

    feed_id: str
    value: Decimal
    timestamp_ms: int
    signers: tuple[str, ...]
    spread: Decimal


@dataclass(slots=True)
class Verdict:
    """Accepted packages per feed, the aggregated prices and every rejection."""

    accepted: dict[str, list[tuple[str, DataPackage]]] = field(default_factory=dict)
    prices: dict[str, AggregatedPrice] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    short_of_signers: dict[str, int] = field(default_factory=dict)

    def reasons(self) -> Counter[str]:
        return Counter(r.reason for r in self.rejected)


def median(values: list[Decimal]) -> Decimal:
    """The median; with an even count, the mean of the two middle values (exact)."""
    if not values:
        raise ValueError("median of nothing")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return _CTX.divide(_CTX.add(ordered[mid - 1], ordered[mid]), 2)


class RedstoneVerifier:
    """Checks packages (signature, signer allow-list, age) and takes the median per feed.

    `allowed_signers`: addresses (any case) whose packages count; `min_signers`: how many
    distinct allowed signers a feed needs before a price is produced (RedStone's
    "unique signers threshold"); `max_age_ms` / `max_ahead_ms`: package timestamp window
    around `now_ms`.
    """

    def __init__(
        self,
        allowed_signers: Iterable[str],
        *,
        min_signers: int = 3,
        max_age_ms: int = 60_000,
        max_ahead_ms: int = 60_000,
    ) -> None:
        self.allowed = frozenset(normalise_address(a) for a in allowed_signers)
        if min_signers < 1:
            raise ValueError("min_signers must be at least 1")
        self.min_signers = min_signers
        self.max_age_ms = max_age_ms
        self.max_ahead_ms = max_ahead_ms

    def check(self, feed_id: str, pkg: DataPackage, now_ms: int) -> Rejection | str:
        """The signer of an acceptable package, or why it is rejected."""
        if pkg.point(feed_id) is None:
            return Rejection(feed_id, MALFORMED, "", f"package has no data point {feed_id}")
        if pkg.signature is None:
            return Rejection(feed_id, UNSIGNED, pkg.claimed_signer or "")
        try:
            signer = recover_signer(pkg)
        except SignatureInvalid as exc:
            return Rejection(feed_id, BAD_SIGNATURE, pkg.claimed_signer or "", str(exc))
        if pkg.claimed_signer is not None:
            try:
                claimed = normalise_address(pkg.claimed_signer)
            except ValueError:
                claimed = pkg.claimed_signer
            if claimed != signer:
                # The bytes were altered after signing, or the package names the wrong node.
                return Rejection(
                    feed_id, BAD_SIGNATURE, signer, f"recovers to {signer}, claims {claimed}"
                )
        if signer not in self.allowed:
            return Rejection(feed_id, UNKNOWN_SIGNER, signer)
        if pkg.timestamp_ms < now_ms - self.max_age_ms:
            return Rejection(feed_id, STALE, signer, f"{now_ms - pkg.timestamp_ms} ms old")
        if pkg.timestamp_ms > now_ms + self.max_ahead_ms:
            return Rejection(feed_id, FUTURE, signer, f"{pkg.timestamp_ms - now_ms} ms ahead")
        return signer

    def verify(
        self, packages: Mapping[str, Iterable[DataPackage | Rejection]], now_ms: int
    ) -> Verdict:
        """Check every package of every feed and aggregate those that pass."""
        out = Verdict()
        for feed_id, pkgs in packages.items():
            seen: dict[str, DataPackage] = {}
            for pkg in pkgs:
                if isinstance(pkg, Rejection):
                    out.rejected.append(pkg)
                    continue
                result = self.check(feed_id, pkg, now_ms)
                if isinstance(result, Rejection):
                    out.rejected.append(result)
                    continue
                known = seen.get(result)
                if known is not None:
                    # One vote per node: keep its newest package.
                    out.rejected.append(Rejection(feed_id, DUPLICATE_SIGNER, result))
                    if pkg.timestamp_ms <= known.timestamp_ms:
                        continue
                seen[result] = pkg
            accepted = sorted(seen.items())
            out.accepted[feed_id] = accepted
            if len(accepted) < self.min_signers:
                out.short_of_signers[feed_id] = len(accepted)
                continue
            values = []
            for _, pkg in accepted:
                point = pkg.point(feed_id)
                assert point is not None
                values.append(point.value)
            out.prices[feed_id] = AggregatedPrice(
                feed_id,
                median(values),
                min(p.timestamp_ms for _, p in accepted),
                tuple(s for s, _ in accepted),
                max(values) - min(values),
            )
        return out


def parse_response(
    body: bytes | str, feeds: Iterable[str] | None = None
) -> dict[str, list[DataPackage | Rejection]]:
    """Parse a gateway response; `feeds` limits it to those data feed ids.

    A package that cannot be parsed becomes a `Rejection` (reason `malformed`) in its feed's
    list; only a document that is not `{feed: [package, ...]}` raises `RedstoneParseError`.
    """
    try:
        doc = _response_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise RedstoneParseError(f"data packages response: {exc}") from None
    wanted = None if feeds is None else set(feeds)
    out: dict[str, list[DataPackage | Rejection]] = {}
    for feed_id, items in doc.items():
        if wanted is not None and feed_id not in wanted:
            continue
        parsed: list[DataPackage | Rejection] = []
        for item in items:
            try:
                raw = _package_decoder.decode(item)
                parsed.append(package_from_raw(raw))
            except (msgspec.DecodeError, ValueError) as exc:
                parsed.append(Rejection(feed_id, MALFORMED, "", str(exc)[:200]))
        out[feed_id] = parsed
    return out


def latest_url(base_url: str, data_service_id: str) -> str:
    """The gateway URL of the latest packages of a data service."""
    return f"{base_url.rstrip('/')}/data-packages/latest/{data_service_id}"
