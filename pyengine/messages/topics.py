"""Topic names and prefixes: the one place a dotted topic is spelt.

A topic is most general part first; a name ending in "." is a prefix (subscriptions match
by prefix), the rest of the topic being venue, symbol, actor ... as each message's `topic()`
says. Each message class names its prefix in `TOPIC` (messages/base.py), so the recorder's
and the runtime's lists of critical topics are derived from the classes
(`pyengine.messages.critical`), not written by hand.
"""

from __future__ import annotations

# Market data and prices
MD = "md."
MD_BOOK = "md.book."
MD_FAULT = "md.fault."
MD_TRADE = "md.trade."
MD_BBO = "md.bbo."
MD_FUNDING = "md.funding."
MD_VALIDITY = "md.validity."
MD_RFQ_LOOKBACK = "md.rfq_lookback"
ORACLE = "oracle."
PRICE_INDICATIVE = "price.indicative."
MD_DEPTH = "md.depth."
PRICE_LADDER = "price.ladder."

# Quotes, orders and fills
QUOTE_ISSUED = "quote.issued."
CMD_QUOTE_REQUEST = "cmd.quote.request"
QUOTE_PRICED = "quote.priced."
QUOTE_UNAVAILABLE = "quote.unavailable."
QUOTE_PLAN = "quote.plan."

# Mint and redeem orders and the chain they settle on
MINT_ACCEPTED = "mint.accepted."
MINT_CONFIRMED = "mint.confirmed."
CHAIN_CAPACITY = "chain.capacity."

# Hedging and the portfolio
HEDGE_REQUEST = "hedge.request."
HEDGE_RESULT = "hedge.result."
RISK_DELTA = "risk.delta."
STATUS_PORTFOLIO = "status.portfolio"
CMD_ORDER = "cmd.order."
CMD_ORDER_SUBMIT = "cmd.order.submit"
CMD_ORDER_CANCEL = "cmd.order.cancel"
CMD_VENUE = "cmd.venue."
EXEC = "exec."
EXEC_ORDER = "exec.order."
EXEC_FILL = "exec.fill."

# Venue account state
ACCT = "acct."
ACCT_ORDER = "acct.order."
ACCT_POSITION = "acct.position."
ACCT_BALANCE = "acct.balance."

# Collateral
CMD_TRANSFER = "cmd.transfer."
CMD_TRANSFER_REQUEST = "cmd.transfer.request"
COLLATERAL_TRANSFER = "collateral.transfer."

# Health, supervision, alerts and control
HEARTBEAT = "hb."
HEALTH = "health."
HEALTH_GAP = "health.gap."
HEALTH_STORE = "health.store"
SUP = "sup."
SUP_RESTARTED = "sup.restarted."
ALERT = "alert."
ALERT_CLEARED = "alert.cleared."
CTL_MINT = "ctl.mint."
CTL_MINT_PAUSE = "ctl.mint.pause"
CTL_MINT_RESUME = "ctl.mint.resume"
CTL_STATUS_REQUEST = "ctl.status.request"
CTL_STATUS_REPORT = "ctl.status.report"
CTL_SHUTDOWN = "ctl.shutdown"

# The simulated world
SIM_FUNDING = "sim.funding."
SIM_EXPIRY = "sim.expiry."
SIM_LIQUIDATION = "sim.liquidation."
SIM_CUSTODY = "sim.custody."


def venue_place(venue: str) -> str:
    """The topic of the orders risk approved for one venue's execution actor."""
    return f"{CMD_VENUE}{venue}.place"
