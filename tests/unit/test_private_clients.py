"""Authenticated venue clients without a network: order parameters as each venue documents
them, exact decimal formatting, timestamps, credentials from the environment, and the
execution actor's choice of client."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pyengine.actors.base import ActorContext
from pyengine.actors.effects import Call
from pyengine.actors.execution import ExecutionActor
from pyengine.errors import ConfigError
from pyengine.messages import SubmitOrder
from pyengine.venues.private import PrivateClientConfig, private_client
from pyengine.venues.private.binance_client import BinanceUsdmClient, order_params
from pyengine.venues.private.bybit_client import BybitClient, order_body
from pyengine.venues.private.client import num
from pyengine.venues.private.common import Credentials
from pyengine.venues.private.errors import VenueAuthError, VenueRequestError
from pyengine.venues.private.okx_client import OkxClient, iso_timestamp


def order(**over: Any) -> SubmitOrder:
    fields: dict[str, Any] = {
        "ts_event": 1,
        "ts_recv": 1,
        "client_order_id": "c1",
        "venue": "binance-usdm",
        "symbol": "BTCUSDT",
        "side": "buy",
        "qty": Decimal("0.010"),
        "price": Decimal("65000.10"),
    }
    fields.update(over)
    return SubmitOrder(**fields)


def test_decimals_go_out_in_plain_notation() -> None:
    assert num(Decimal("1E-8")) == "0.00000001"
    assert num(Decimal("1.2E+3")) == "1200"
    assert num(Decimal("0.010")) == "0.010"


@pytest.mark.parametrize(
    ("over", "expect"),
    [
        ({}, {"type": "LIMIT", "timeInForce": "GTC", "price": "65000.10"}),
        ({"tif": "ioc"}, {"timeInForce": "IOC"}),
        ({"order_type": "post_only"}, {"timeInForce": "GTX"}),
        ({"order_type": "market", "price": None}, {"type": "MARKET"}),
        ({"reduce_only": True}, {"reduceOnly": "true"}),
    ],
)
def test_binance_order_parameters(over: dict[str, Any], expect: dict[str, str]) -> None:
    p = order_params(order(**over))
    assert p["newClientOrderId"] == "c1" and p["side"] == "BUY" and p["quantity"] == "0.010"
    assert expect.items() <= p.items()
    if p["type"] == "MARKET":
        assert "price" not in p and "timeInForce" not in p


@pytest.mark.parametrize(
    ("over", "expect"),
    [
        ({}, {"orderType": "Limit", "timeInForce": "GTC"}),
        ({"tif": "post_only"}, {"timeInForce": "PostOnly"}),
        ({"tif": "fok"}, {"timeInForce": "FOK"}),
        ({"order_type": "market", "price": None, "side": "sell"}, {"orderType": "Market"}),
        ({"reduce_only": True}, {"reduceOnly": True}),
    ],
)
def test_bybit_order_body(over: dict[str, Any], expect: dict[str, Any]) -> None:
    b = order_body(order(**over), "linear", "BTCUSDT")
    assert b["orderLinkId"] == "c1" and b["category"] == "linear" and b["qty"] == "0.010"
    assert b["side"] == ("Sell" if over.get("side") == "sell" else "Buy")
    assert expect.items() <= b.items()


@pytest.mark.parametrize("bad", [{"tif": "gtd"}, {"order_type": "stop"}, {"price": None}])
def test_orders_a_venue_cannot_take_are_refused_before_sending(bad: dict[str, Any]) -> None:
    with pytest.raises(VenueRequestError, match="unsupported"):
        order_params(order(**bad))
    with pytest.raises(VenueRequestError, match="unsupported"):
        order_body(order(**bad), "linear", "BTCUSDT")


def test_okx_timestamp_and_bybit_symbols() -> None:
    assert iso_timestamp(1_607_418_537_715_123_456) == "2020-12-08T09:08:57.715Z"
    assert iso_timestamp(1_607_418_537_000_000_000) == "2020-12-08T09:08:57.000Z"
    client = BybitClient(PrivateClientConfig(venue="bybit"), Credentials("k", "s"))
    assert client.split("inverse:BTCUSD") == ("inverse", "BTCUSD")
    assert client.split("ETHUSDT") == ("linear", "ETHUSDT")


def test_credentials_come_from_named_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = PrivateClientConfig(venue="okx", api_key_env="K", api_secret_env="S", passphrase_env="P")
    monkeypatch.setenv("K", "key")
    monkeypatch.setenv("S", "VERY-SECRET-1")
    with pytest.raises(VenueAuthError, match="'P'") as missing:
        cfg.credentials()
    assert "VERY-SECRET-1" not in str(missing.value)
    monkeypatch.setenv("P", "PASS-2")
    client = private_client(cfg)
    assert isinstance(client, OkxClient)
    assert client.credentials.secret == "VERY-SECRET-1"
    assert "VERY-SECRET-1" not in repr(client) + repr(client.credentials)
    assert "PASS-2" not in repr(client.credentials)
    monkeypatch.setenv("BINANCE_API_KEY", "k")
    monkeypatch.setenv("BINANCE_API_SECRET", "s")
    assert isinstance(private_client(PrivateClientConfig(venue="binance-usdm")), BinanceUsdmClient)
    assert PrivateClientConfig(venue="bybit").urls() == (
        "wss://stream.bybit.com/v5/private",
        "https://api.bybit.com",
    )
    with pytest.raises(ValueError, match="no private client"):
        private_client(PrivateClientConfig(venue="deribit"), Credentials("k", "s"))


def test_execution_actor_chooses_a_live_client(monkeypatch: pytest.MonkeyPatch) -> None:
    def make(**options: object) -> ExecutionActor:
        return ExecutionActor(ActorContext(name="e", options=options))

    monkeypatch.delenv("BYBIT_API_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"actors\.e\.options\.live: .*BYBIT_API_KEY"):
        make(venue="bybit", client="bybit")
    monkeypatch.setenv("BYBIT_API_KEY", "k")
    monkeypatch.setenv("BYBIT_API_SECRET", "s")
    a = make(venue="bybit", client="bybit", live={"venue": "bybit", "rest_url": "http://x"})
    assert a.colocated_with() == () and a.opts.live is not None
    # Construction opened nothing: the client is opened in the actor's life, as an effect.
    (opening,) = a.on_start()
    assert isinstance(opening, Call) and opening.correlation_id == "client"
    with pytest.raises(ConfigError, match=r"live\.venue"):
        make(venue="bybit", client="bybit", live={"venue": "okx"})
    with pytest.raises(ConfigError, match="the client is 'bybit'"):
        make(venue="okx", client="bybit")
    with pytest.raises(ConfigError, match=r"actors\.e\.options"):
        make(venue="bybit", client="deribit")
