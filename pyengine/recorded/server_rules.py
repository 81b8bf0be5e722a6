"""What a replay server must know of each venue: which records are book snapshots of which
book, which book a subscribe request names, and how to answer pings."""

from __future__ import annotations

from typing import Any

import orjson


def _obj(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def book_key(venue: str, data: bytes) -> tuple[str, bool] | None:
    """(book key, is snapshot) of an in-stream book record; None for anything else."""
    obj = _obj(data)
    if not isinstance(obj, dict):
        return None
    if venue == "bybit":
        topic = obj.get("topic")
        if isinstance(topic, str) and topic.startswith("orderbook."):
            return topic, obj.get("type") == "snapshot"
    elif venue == "okx":
        arg = obj.get("arg")
        if (
            isinstance(arg, dict)
            and str(arg.get("channel", "")).startswith("books")
            and "data" in obj
        ):
            return f"{arg['channel']}:{arg.get('instId')}", obj.get("action") == "snapshot"
    elif venue == "deribit":
        params = obj.get("params")
        if isinstance(params, dict) and str(params.get("channel", "")).startswith("book."):
            data_ = params.get("data") or {}
            return str(params["channel"]), data_.get("type") == "snapshot"
    elif venue == "bitmex":
        table = obj.get("table")
        rows = obj.get("data")
        if isinstance(table, str) and table.startswith("orderBook") and rows:
            return f"{table}:{rows[0].get('symbol')}", obj.get("action") == "partial"
    return None


def subscribed_keys(venue: str, raw: bytes) -> tuple[bool, list[str]]:
    """(is a subscribe request, the book keys it names)."""
    obj = _obj(raw)
    if not isinstance(obj, dict):
        return False, []
    if venue in ("bybit", "bitmex") and obj.get("op") == "subscribe":
        args = [str(a) for a in obj.get("args", [])]
        return True, [a for a in args if a.startswith(("orderbook.", "orderBook"))]
    if venue == "okx" and obj.get("op") == "subscribe":
        keys = [
            f"{a['channel']}:{a['instId']}"
            for a in obj.get("args", [])
            if str(a.get("channel", "")).startswith("books")
        ]
        return True, keys
    if venue == "deribit" and obj.get("method") == "public/subscribe":
        chans = [str(c) for c in obj.get("params", {}).get("channels", [])]
        return True, [c for c in chans if c.startswith("book.")]
    return False, []


def control_reply(venue: str, raw: bytes) -> tuple[str | None, str | None]:
    """(kind of control message, reply) for pings, heartbeats and RPC calls."""
    if raw == b"ping" and venue in ("okx", "bitmex"):
        return "ping", "pong"
    obj = _obj(raw)
    if not isinstance(obj, dict):
        return None, None
    if venue == "bybit" and obj.get("op") == "ping":
        return "ping", '{"success":true,"ret_msg":"pong","conn_id":"local","op":"ping"}'
    if venue == "deribit" and "method" in obj:
        method = obj["method"]
        reply = orjson.dumps({"jsonrpc": "2.0", "id": obj.get("id"), "result": "ok"}).decode()
        if method == "public/test":
            return "test_reply", reply
        if method == "public/set_heartbeat":
            return "set_heartbeat", reply
    return None, None
