"""RedStone packages: the real fixture's signatures verify, tampering and strangers are rejected."""

from __future__ import annotations

import base64
import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_keys.datatypes import PrivateKey

from pyengine.oracles.redstone import (
    BAD_SIGNATURE,
    DUPLICATE_SIGNER,
    FUTURE,
    MALFORMED,
    STALE,
    UNKNOWN_SIGNER,
    UNSIGNED,
    DataPackage,
    DataPoint,
    RedstoneParseError,
    RedstoneVerifier,
    Rejection,
    feed_id_bytes32,
    median,
    parse_package,
    parse_response,
    recover_signer,
    signable_bytes,
    signable_hash,
    signed_integer,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "redstone"
FILE = DATA / "primary_prod_data_packages_20240701_btc_eth_usdt_usdc.json"
TS = 1_719_856_900_000
SIGNERS = [
    "0x51Ce04Be4b3E32572C4Ec9135221d0691Ba7d202",
    "0x8BB8F32Df04c8b654987DAaeD53D6B6091e3B774",
    "0x9c5AE89C4Af6aA32cE58588DBaF90d18a855B6de",
    "0xDD682daEC5A90dD295d14DA4b0bec9281017b5bE",
    "0xdEB22f54738d54976C4c0fe5ce6d408E40d88499",
]


@pytest.fixture(scope="module")
def doc() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = json.loads(FILE.read_bytes())
    return data


@pytest.fixture(scope="module")
def packages() -> dict[str, list[DataPackage | Rejection]]:
    return parse_response(FILE.read_bytes())


def only(pkgs: list[DataPackage | Rejection]) -> list[DataPackage]:
    out = [p for p in pkgs if isinstance(p, DataPackage)]
    assert len(out) == len(pkgs)
    return out


def test_every_fixture_signature_recovers_its_signer(
    doc: dict[str, list[dict[str, Any]]], packages: dict[str, list[DataPackage | Rejection]]
) -> None:
    assert sorted(packages) == ["BTC", "ETH", "USDC", "USDT"]
    n = 0
    for feed, raws in doc.items():
        for raw, pkg in zip(raws, only(packages[feed]), strict=True):
            assert recover_signer(pkg) == raw["signerAddress"]
            n += 1
    assert n == 20


def test_signed_values_are_exact(packages: dict[str, list[DataPackage | Rejection]]) -> None:
    btc = only(packages["BTC"])
    # 63597.972532907195 as a double, toFixed(8) -> 6359797253291 (half-up).
    assert btc[0].points == (DataPoint("BTC", 6_359_797_253_291),)
    assert btc[0].points[0].value == Decimal("63597.97253291")
    assert btc[0].timestamp_ms == TS
    assert [p.points[0].value for p in only(packages["USDT"])] == [
        Decimal("0.99877775"),
        Decimal("0.99877775"),
        Decimal("0.99877465"),
        Decimal("0.99877775"),
        Decimal("0.99877465"),
    ]


def test_signable_bytes_layout() -> None:
    pkg = DataPackage((DataPoint("ETH", 1), DataPoint("BTC", 2)), 0x010203040506, None, None)
    raw = signable_bytes(pkg)
    assert len(raw) == 2 * 64 + 6 + 4 + 3
    assert raw[:32] == b"BTC" + b"\0" * 29  # sorted by bytes32 feed id
    assert raw[32:64] == (2).to_bytes(32, "big")
    assert raw[64:96] == feed_id_bytes32("ETH")
    assert raw[128:] == bytes.fromhex("010203040506") + bytes.fromhex("00000020") + bytes.fromhex(
        "000002"
    )
    assert feed_id_bytes32("x" * 32) != feed_id_bytes32("x" * 31)  # long ids are hashed


def test_median_and_verdict_on_fixture(packages: dict[str, list[DataPackage | Rejection]]) -> None:
    v = RedstoneVerifier(SIGNERS, min_signers=3)
    verdict = v.verify(packages, TS + 5_000)
    assert verdict.rejected == []
    assert verdict.prices["BTC"].value == Decimal("63597.79995623")
    assert verdict.prices["ETH"].value == Decimal("3486.95203485")
    assert verdict.prices["USDT"].value == Decimal("0.99877775")
    assert verdict.prices["USDC"].value == Decimal("0.99988697")
    assert verdict.prices["BTC"].signers == tuple(sorted(SIGNERS))
    assert verdict.prices["BTC"].timestamp_ms == TS
    assert verdict.prices["BTC"].spread == Decimal("1.39026778")


def test_even_median_is_the_exact_mean() -> None:
    assert median([Decimal("1.00000001"), Decimal("1.00000002")]) == Decimal("1.000000015")
    assert median([Decimal(3), Decimal(1), Decimal(2)]) == Decimal(2)
    with pytest.raises(ValueError):
        median([])


def test_tampered_value_is_rejected(packages: dict[str, list[DataPackage | Rejection]]) -> None:
    pkg = only(packages["BTC"])[0]
    point = dataclasses.replace(pkg.points[0], signed_int=pkg.points[0].signed_int + 1)
    tampered = dataclasses.replace(pkg, points=(point,))
    v = RedstoneVerifier(SIGNERS, min_signers=1)
    verdict = v.verify({"BTC": [tampered]}, TS)
    (r,) = verdict.rejected
    assert r.reason == BAD_SIGNATURE
    assert "BTC" not in verdict.prices
    # Tampered timestamp too.
    late = dataclasses.replace(pkg, timestamp_ms=TS + 1)
    assert v.verify({"BTC": [late]}, TS).rejected[0].reason == BAD_SIGNATURE


def test_unknown_signer_unsigned_and_corrupt_signatures(
    packages: dict[str, list[DataPackage | Rejection]],
) -> None:
    btc = only(packages["BTC"])
    v = RedstoneVerifier(SIGNERS[1:], min_signers=1)
    verdict = v.verify({"BTC": [btc[0]]}, TS)  # SIGNERS[0] signed it, but is not allowed
    assert [(r.reason, r.signer) for r in verdict.rejected] == [(UNKNOWN_SIGNER, SIGNERS[0])]
    unsigned = dataclasses.replace(btc[1], signature=None)
    short = dataclasses.replace(
        btc[2], signature=btc[2].signature[:64] if btc[2].signature else None
    )
    bad_v = dataclasses.replace(btc[3], signature=(btc[3].signature or b"")[:64] + b"\x05")
    zero = dataclasses.replace(btc[4], signature=b"\0" * 64 + b"\x1b")
    reasons = [r.reason for r in v.verify({"BTC": [unsigned, short, bad_v, zero]}, TS).rejected]
    assert reasons == [UNSIGNED, BAD_SIGNATURE, BAD_SIGNATURE, BAD_SIGNATURE]


def test_a_stranger_signing_correctly_is_still_unknown() -> None:
    key = PrivateKey(b"\x11" * 32)
    pkg = DataPackage((DataPoint("BTC", 100 * 10**8),), TS, None, None)
    sig = key.sign_msg_hash(signable_hash(pkg))
    signed = dataclasses.replace(pkg, signature=sig.to_bytes()[:64] + bytes([sig.v + 27]))
    assert recover_signer(signed) == key.public_key.to_checksum_address()
    v = RedstoneVerifier(SIGNERS, min_signers=1)
    assert v.verify({"BTC": [signed]}, TS).rejected[0].reason == UNKNOWN_SIGNER
    allowing = RedstoneVerifier([key.public_key.to_checksum_address()], min_signers=1)
    assert allowing.verify({"BTC": [signed]}, TS).prices["BTC"].value == Decimal(100)


def test_stale_future_duplicate_and_too_few(
    packages: dict[str, list[DataPackage | Rejection]],
) -> None:
    btc = only(packages["BTC"])
    v = RedstoneVerifier(SIGNERS, min_signers=3, max_age_ms=60_000, max_ahead_ms=10_000)
    assert {r.reason for r in v.verify({"BTC": btc}, TS + 60_001).rejected} == {STALE}
    assert {r.reason for r in v.verify({"BTC": btc}, TS - 10_001).rejected} == {FUTURE}
    verdict = v.verify({"BTC": [btc[0], btc[0], btc[1]]}, TS)
    assert [r.reason for r in verdict.rejected] == [DUPLICATE_SIGNER]
    assert verdict.short_of_signers == {"BTC": 2}
    assert verdict.prices == {}


def test_malformed_packages_are_rejections_not_crashes(
    doc: dict[str, list[dict[str, Any]]],
) -> None:
    good = doc["ETH"][0]
    broken = [
        {**good, "dataPoints": []},
        {**good, "signature": "***"},
        {**good, "timestampMilliseconds": -1},
        {**good, "dataPoints": [{"dataFeedId": "ETH", "value": -1}]},
        {**good, "dataPoints": [{"dataFeedId": "ETH", "value": "NaN"}]},
        {**good, "dataPoints": [{"dataFeedId": "ETH", "value": 1e80}]},
        {**good, "dataPoints": [{"dataFeedId": "ETH", "value": 1, "decimals": 99}]},
        {
            **good,
            "dataPoints": [{"dataFeedId": "ETH", "value": 1}, {"dataFeedId": "ETH", "value": 2}],
        },
        {"timestampMilliseconds": "soon"},
        7,
    ]
    body = json.dumps({"ETH": [good, *broken]}).encode()
    parsed = parse_response(body)["ETH"]
    assert isinstance(parsed[0], DataPackage)
    assert [r.reason for r in parsed[1:] if isinstance(r, Rejection)] == [MALFORMED] * len(broken)
    verdict = RedstoneVerifier(SIGNERS, min_signers=1).verify({"ETH": parsed}, TS)
    assert verdict.prices["ETH"].value == Decimal("3486.56332865")
    with pytest.raises(RedstoneParseError):
        parse_response(b"[1, 2]")
    with pytest.raises(ValueError):
        parse_package({"dataPoints": "x"})


def test_parse_package_accepts_dict_and_text(doc: dict[str, list[dict[str, Any]]]) -> None:
    raw = doc["USDC"][2]
    a = parse_package(raw)
    b = parse_package(json.dumps(raw))
    assert a == b
    assert base64.b64encode(a.signature or b"").decode() == raw["signature"]
    assert recover_signer(a) == raw["signerAddress"]


@pytest.mark.parametrize(
    ("value", "decimals", "want"),
    [
        (63597.972532907195, 8, 6_359_797_253_291),
        ("0.125", 2, 13),  # half-up, as decimal.js toFixed
        (1.005, 2, 100),  # the double 1.005 is 1.00499999999999989...: rounds down, as in JS
        (3, 0, 3),
        ("1e-9", 8, 0),
    ],
)
def test_signed_integer_matches_js_tofixed(value: float | str, decimals: int, want: int) -> None:
    assert signed_integer(value, decimals) == want


@pytest.mark.parametrize("value", [float("inf"), float("nan"), -1.0, "abc", True])
def test_signed_integer_rejects(value: Any) -> None:
    with pytest.raises(ValueError):
        signed_integer(value, 8)
