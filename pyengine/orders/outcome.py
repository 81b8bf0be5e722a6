"""Is a refusal definitive, or is the order's fate unknown?

Only a definitive refusal may make an order REJECTED: a strategy or router that believes a
live order was refused re-submits it, and the venue then holds two (NautilusTrader #4215,
Hummingbot #493). Everything else leaves the order in flight until the venue's own answer
(its private stream, a query) or reconciliation settles it. The policy is
NautilusTrader's (nautilus_trader/docs/concepts/live.md, "definitive vs ambiguous"), with
rate limits counted as ambiguous too: the caller cannot tell a queued request from a
dropped one.

Ambiguous:

- our own words for it in `OrderRejected.codes` (`AMBIGUOUS_CODES`: timeout, transport,
  disconnected, rate_limited, unknown_status);
- the execution actor's client failures, `stage="execution"` with a reason starting
  `client_error:` (a transport error, a timeout or a refused login after the request left:
  its docstring already says reconciliation settles them);
- the venue codes below, found in `codes` or as the `CODE: message` reason the private
  clients write:
  - Binance USD-M futures (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code):
    -1000 UNKNOWN, -1001 DISCONNECTED, -1003 TOO_MANY_REQUESTS, -1006 UNEXPECTED_RESP
    ("execution status unknown"), -1007 TIMEOUT ("send status unknown; execution status
    unknown"), -1008 server overloaded / request throttled;
  - Bybit v5 (https://bybit-exchange.github.io/docs/v5/error): 10006 and 10018 rate limits,
    10016 server error;
  - OKX v5 (https://www.okx.com/docs-v5/en/#error-code): 50001 service unavailable, 50004
    endpoint timeout ("does not mean that the request was successful or failed"), 50011
    rate limit, 50013 system busy, 50026 system error.

  The three venues' code ranges do not overlap (negative, 10xxx/110xxx, 5xxxx), so one set
  serves all.

A refusal of a duplicate client order id (risk's `duplicate_client_order_id`, Binance
-4116, Bybit 110072, OKX 51016, the codes the private clients already know) is about a
second submit under a known id, not about the order that holds the id: `is_duplicate_submit`
lets the order table leave that order alone.

Definitive: a risk refusal (`stage="risk"`, the order never left), and any other venue
answer (bad price, insufficient margin, post-only would cross ...).
"""

from __future__ import annotations

from pyengine.messages import OrderRejected

AMBIGUOUS_CODES = frozenset(
    {"timeout", "transport", "disconnected", "rate_limited", "unknown_status"}
)
"""Engine-side codes for an outcome nobody knows yet."""

VENUE_AMBIGUOUS_CODES = frozenset(
    {
        # Binance
        "-1000",
        "-1001",
        "-1003",
        "-1006",
        "-1007",
        "-1008",
        # Bybit
        "10006",
        "10016",
        "10018",
        # OKX
        "50001",
        "50004",
        "50011",
        "50013",
        "50026",
    }
)

DUPLICATE_SUBMIT_CODES = frozenset({"duplicate_client_order_id", "-4116", "110072", "51016"})

_AMBIGUOUS = AMBIGUOUS_CODES | VENUE_AMBIGUOUS_CODES

CLIENT_ERROR = "client_error:"


def venue_code(reason: str) -> str:
    """The venue code of a private client's `CODE: message` reason ('' if none)."""
    head, sep, _ = reason.partition(":")
    head = head.strip()
    return head if sep and head.lstrip("-").isdigit() else ""


def is_ambiguous(msg: OrderRejected) -> bool:
    """True when `msg` does not prove that the venue did not take the order."""
    if msg.stage == "risk":
        return False
    if msg.codes and not (_AMBIGUOUS.isdisjoint(msg.codes)):
        return True
    if msg.stage == "execution" and msg.reason.startswith(CLIENT_ERROR):
        return True
    return venue_code(msg.reason) in VENUE_AMBIGUOUS_CODES


def is_duplicate_submit(msg: OrderRejected) -> bool:
    """True when `msg` refuses a second submit under an id that is already in use."""
    if msg.codes and not DUPLICATE_SUBMIT_CODES.isdisjoint(msg.codes):
        return True
    return msg.stage != "risk" and venue_code(msg.reason) in DUPLICATE_SUBMIT_CODES
