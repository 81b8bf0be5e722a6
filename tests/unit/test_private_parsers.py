"""Private-stream and account REST parsers on the venues' real payloads: exact decimals."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from pyengine.messages import BalanceReport, OrderFilled, OrderUpdate, PositionReport
from pyengine.venues.private import binance, bybit, okx
from pyengine.venues.private.common import Credentials, PrivateMessageError

DATA = Path(__file__).resolve().parents[1] / "data"


def raw(venue: str, name: str) -> bytes:
    return (DATA / venue / "private" / name).read_bytes()


def test_binance_order_trade_update_new() -> None:
    (u,) = binance.parse_user_event(
        raw("binance_usdm", "user_ORDER_TRADE_UPDATE_new_docs_example.json"), 7
    )
    assert isinstance(u, OrderUpdate)
    assert (u.symbol, u.client_order_id, u.venue_order_id, u.status, u.side) == (
        "BTCUSDT",
        "TEST",
        "8886774",
        "new",
        "buy",
    )
    assert u.qty == Decimal("0.001") and u.price is None and u.filled_qty == 0
    assert u.ts_event == 1568879465651 * 10**6 and u.ts_recv == 7


def test_binance_trade_fill_from_order_update() -> None:
    msg = orjson.loads(raw("binance_usdm", "user_ORDER_TRADE_UPDATE_new_docs_example.json"))
    msg["o"].update(
        x="TRADE", X="PARTIALLY_FILLED", l="0.0004", L="7103.05", z="0.0004", n="0.00113648", t=42
    )
    update, fill = binance.parse_user_event(orjson.dumps(msg))
    assert isinstance(update, OrderUpdate) and update.status == "partially_filled"
    assert isinstance(fill, OrderFilled)
    assert (fill.qty, fill.price, fill.fee, fill.fee_ccy, fill.fill_id) == (
        Decimal("0.0004"),
        Decimal("7103.05"),
        Decimal("0.00113648"),
        "USDT",
        "42",
    )


def test_binance_trade_lite_and_account_update() -> None:
    (fill,) = binance.parse_user_event(raw("binance_usdm", "user_TRADE_LITE_live.json"))
    assert isinstance(fill, OrderFilled)
    assert (fill.symbol, fill.side, fill.qty, fill.price, fill.fill_id) == (
        "ETHUSDT",
        "buy",
        Decimal("0.037"),
        Decimal("2631.90"),
        "4467432841",
    )
    events = binance.parse_user_event(raw("binance_usdm", "user_ACCOUNT_UPDATE_docs_example.json"))
    bal = [e for e in events if isinstance(e, BalanceReport)]
    pos = {e.symbol: e for e in events if isinstance(e, PositionReport)}
    assert bal[0].asset == "USDT" and bal[0].wallet == Decimal("122624.12345678")
    assert pos["BTCUSDT:LONG"].qty == 20 and pos["BTCUSDT:SHORT"].qty == -10
    assert pos["BTCUSDT:SHORT"].unrealised_pnl == Decimal("-1423.15600")
    assert pos["BTCUSDT"].qty == 0


def test_binance_rest_reports() -> None:
    long, short = binance.parse_position_risk(
        raw("binance_usdm", "rest_positionRisk_hedge_mode_docs_example.json")
    )
    assert long.qty == Decimal("20.000") and long.liquidation_price == Decimal("5930.78")
    assert short.qty == Decimal("-10.000") and short.mark_price == Decimal("6679.50671178")
    (b,) = binance.parse_balances(raw("binance_usdm", "rest_balance_docs_example.json"))
    assert b.available == Decimal("122.12345678")
    (a,) = binance.parse_balances(raw("binance_usdm", "rest_account_v2_live.json"))
    assert a.wallet == Decimal("23.72469206") and a.equity == Decimal("23.72469206")


def test_bybit_private_topics() -> None:
    (o,) = bybit.parse_private(raw("bybit", "ws_private_order_docs.json"))
    assert isinstance(o, OrderUpdate)
    assert (o.symbol, o.status, o.side, o.filled_qty, o.avg_price) == (
        "option:ETH-30DEC22-1400-C",
        "filled",
        "sell",
        Decimal("1"),
        Decimal("75"),
    )
    (f,) = bybit.parse_private(raw("bybit", "ws_private_execution_docs.json"))
    assert isinstance(f, OrderFilled)
    assert (f.symbol, f.qty, f.price, f.fee, f.fee_ccy, f.liquidity) == (
        "linear:BTCUSDT",
        Decimal("0.5"),
        Decimal("95900.1"),
        Decimal("26.3725275"),
        "USDT",
        "taker",
    )
    (p,) = bybit.parse_private(raw("bybit", "ws_private_position_docs.json"))
    assert isinstance(p, PositionReport) and p.qty == 0 and p.liquidation_price is None
    wallet = bybit.parse_private(raw("bybit", "ws_private_wallet_live_nautilus.json"))
    usdt = next(b for b in wallet if isinstance(b, BalanceReport) and b.asset == "USDT")
    assert usdt.wallet == Decimal("9647.75537647") and usdt.equity == Decimal("10226.20575506")
    assert bybit.parse_private(raw("bybit", "ws_private_position_live_nautilus.json"))
    assert bybit.parse_private(raw("bybit", "ws_private_wallet_docs.json"))
    assert bybit.parse_private(b'{"success":true,"ret_msg":"","op":"auth","conn_id":"x"}') == []


def test_bybit_rest_reports() -> None:
    (p,) = bybit.parse_positions(raw("bybit", "rest_position_list_docs.json"))
    assert (p.symbol, p.qty, p.entry_price) == (
        "inverse:BTCUSD",
        Decimal("-300"),
        Decimal("27464.50441675"),
    )
    (b,) = bybit.parse_wallet(raw("bybit", "rest_wallet_balance_docs.json"))
    assert b.asset == "BTC" and b.wallet == 0
    (o,) = bybit.parse_open_orders(raw("bybit", "rest_order_realtime_docs.json"))
    assert (o.symbol, o.client_order_id, o.qty, o.price) == (
        "linear:ETHUSDT",
        "test-000005",
        Decimal("0.10"),
        Decimal("1600.00"),
    )


def test_okx_private_channels() -> None:
    update, fill = okx.parse_private(raw("okx", "ws_orders_nautilus.json"))
    assert isinstance(update, OrderUpdate) and update.status == "filled"
    assert isinstance(fill, OrderFilled)
    assert (fill.qty, fill.price, fill.fee, fill.liquidity) == (
        Decimal("0.03"),
        Decimal("103698.9"),
        Decimal("0.021776769"),
        "maker",
    )
    balances = okx.parse_private(raw("okx", "ws_account_nautilus.json"))
    usdt = next(b for b in balances if isinstance(b, BalanceReport) and b.asset == "USDT")
    assert usdt.wallet == Decimal("100.52768569797846")
    (p,) = okx.parse_positions(raw("okx", "http_get_positions_nautilus.json"))
    assert (p.symbol, p.qty, p.liquidation_price, p.settle_ccy) == (
        "BTC-USDT-SWAP",
        Decimal("0.5"),
        Decimal("9000"),
        "BTC",
    )


@pytest.mark.parametrize(
    "parse",
    [binance.parse_user_event, bybit.parse_private, okx.parse_private, okx.parse_positions],
)
@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"nope",
        b"[1,2]",
        b'{"e":"ORDER_TRADE_UPDATE","o":{"X":"NEW","q":1.5}}',
        b'{"topic":"order","data":[{"orderStatus":"New","qty":"x"}]}',
        b'{"arg":{"channel":"orders"},"data":"x"}',
    ],
)
def test_malformed_payloads_raise_typed_errors(parse: object, bad: bytes) -> None:
    # Either parsed (to nothing or something) or a typed error; never another exception.
    with contextlib.suppress(PrivateMessageError):
        parse(bad)  # type: ignore[operator]


def test_floats_are_refused() -> None:
    msg = orjson.loads(raw("bybit", "ws_private_execution_docs.json"))
    msg["data"][0]["execQty"] = 0.5
    with pytest.raises(PrivateMessageError, match="execQty"):
        bybit.parse_private(orjson.dumps(msg))


def test_a_side_that_is_neither_buy_nor_sell_is_refused_at_the_parser() -> None:
    # The schema would refuse it on decode, in every receiver; the parser names the field.
    msg = orjson.loads(raw("binance_usdm", "user_ORDER_TRADE_UPDATE_new_docs_example.json"))
    msg["o"]["S"] = "BOTH"
    with pytest.raises(PrivateMessageError, match="S: expected buy or sell"):
        binance.parse_user_event(orjson.dumps(msg), 7)
    msg = orjson.loads(raw("bybit", "ws_private_execution_docs.json"))
    msg["data"][0]["side"] = "None"
    with pytest.raises(PrivateMessageError, match="side"):
        bybit.parse_private(orjson.dumps(msg))


def test_signatures_follow_the_documented_recipes() -> None:
    # Binance's documented example (signed endpoint security, HMAC SHA256).
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    query = (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559"
    )
    assert binance.sign(query, secret) == (
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    )
    auth = orjson.loads(bybit.auth_message("key", "s3cret", 1662350400000))
    expect = hmac.new(b"s3cret", b"GET/realtime1662350400000", hashlib.sha256).hexdigest()
    assert auth == {"op": "auth", "args": ["key", 1662350400000, expect]}
    login = orjson.loads(okx.login_message("key", "s3cret", "pass", 1538054050))
    mac = hmac.new(b"s3cret", b"1538054050GET/users/self/verify", hashlib.sha256).digest()
    assert login["args"][0]["sign"] == base64.b64encode(mac).decode()


def test_credentials_never_show_the_secret(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OKX_API_KEY", "k")
    monkeypatch.setenv("OKX_API_SECRET", "TOPSECRET-123")
    monkeypatch.setenv("OKX_API_PASSPHRASE", "PASSPHRASE-456")
    creds = Credentials.from_env("OKX")
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("pyengine").warning("credentials: %s %r", creds, creds)
    assert "TOPSECRET" not in caplog.text and "PASSPHRASE-456" not in caplog.text
    assert creds.secret == "TOPSECRET-123"
    monkeypatch.delenv("OKX_API_SECRET")
    with pytest.raises(PrivateMessageError):
        Credentials.from_env("OKX")
