"""Deterministic client order ids: the same parent and child index give the same id.

A restarted engine that re-derives its child orders from the journal (a hedge request, a
quote) sends them under the ids it used before, so the venue's idempotency on the client
order id turns a resend into a duplicate it refuses or answers with the existing order,
never into a second order (NautilusTrader #3176: random ids duplicated orders on every
restart; its child ids are likewise `{parent}-E{n}`,
nautilus_trader/docs/concepts/execution.md).

Venue limits (the id must satisfy all of these for the venue it is sent to):

- Binance USD-M futures, `newClientOrderId`: "A unique id among open orders ... following
  the rule `^[\\.A-Z\\:/a-z0-9_-]{1,36}$`"
  (https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api).
  Unique among *open* orders only: an id whose order has ended can be reused there.
- Bybit v5, `orderLinkId`: at most 36 characters of numbers, letters (both cases), dashes
  and underscores (https://bybit-exchange.github.io/docs/v5/order/create-order).
- OKX v5, `clOrdId`: "A combination of case-sensitive alphanumerics, all numbers, or all
  letters of up to 32 characters" (https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order):
  no separator at all.
- Deribit, `label`: "user defined label for the order (maximum 64 characters)"
  (https://docs.deribit.com/#private-buy). Deribit does not deduplicate by label, so there
  the id finds an order again but does not stop a second one.

The readable form is `<parent>-<index>`, used when it fits the venue's rule. Otherwise
(a long parent, characters the venue refuses, OKX) the parent is replaced by a fixed-length
SHA-256 prefix: `_<hex>-<index>`, or `<hex><index>` on OKX. The hash is fixed-length, so
the index is where it always was and two (parent, index) pairs never share a form; the
leading `_` keeps hashed ids apart from readable ones (a parent starting with `_` is always
hashed). 80 bits of hash make a collision between two parents negligible.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from pyengine.orders.state import OrderError


class OrderIdError(OrderError):
    """No id can be made (a negative index, an empty parent, an index too long)."""


@dataclass(frozen=True, slots=True)
class IdRule:
    """What one venue accepts as a client order id."""

    name: str
    max_len: int
    pattern: re.Pattern[str]
    separator: bool
    """Whether `-` and `_` are allowed (the readable and hashed forms need them)."""


BINANCE = IdRule("binance", 36, re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$"), True)
BYBIT = IdRule("bybit", 36, re.compile(r"^[A-Za-z0-9_-]{1,36}$"), True)
OKX = IdRule("okx", 32, re.compile(r"^[A-Za-z0-9]{1,32}$"), False)
DERIBIT = IdRule("deribit", 64, re.compile(r"^.{1,64}$"), True)
STRICTEST = OKX
"""For a venue name none of the above matches: an id every venue accepts."""

_RULES = (BINANCE, BYBIT, OKX, DERIBIT)
_HASH_HEX = 20


def rule_for(venue: str) -> IdRule:
    """The id rule of a venue name ("binance", "binance-usdm", "okx-demo" ...)."""
    name = venue.lower()
    for rule in _RULES:
        if name.startswith(rule.name):
            return rule
    return STRICTEST


def child_order_id(parent_id: str, index: int, venue: str | IdRule = STRICTEST) -> str:
    """The client order id of child `index` of `parent_id` on `venue` (a name or rule)."""
    if not parent_id:
        raise OrderIdError("a child order id needs a parent id")
    if index < 0:
        raise OrderIdError(f"child index {index} is negative")
    rule = venue if isinstance(venue, IdRule) else rule_for(venue)
    suffix = str(index)
    if rule.separator and not parent_id.startswith("_"):
        readable = f"{parent_id}-{suffix}"
        if rule.pattern.fullmatch(readable):
            return readable
    digest = hashlib.sha256(parent_id.encode()).hexdigest()[:_HASH_HEX]
    cid = f"_{digest}-{suffix}" if rule.separator else f"{digest}{suffix}"
    if not rule.pattern.fullmatch(cid):
        raise OrderIdError(f"child index {index} does not fit a {rule.name} order id")
    return cid
