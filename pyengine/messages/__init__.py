"""Every message that crosses a socket: frozen msgspec Structs with explicit tags.

Wire format: ZeroMQ frames `[topic, payload]`; `payload` is msgpack of one tagged Struct
(`{"type": <tag>, ...}`), decoded by one tagged-union decoder built once (`decode`).

Conventions: commands are imperative (`SubmitOrder`), events past tense (`OrderFilled`), data
nouns (`BookTop`). Timestamps are integer nanoseconds UTC: `ts_event` (venue or producer) and
`ts_recv` (local). Money is exact: `Decimal` (msgpack string) in commands and events, the
venue's own decimal strings in market data; never a binary float.

Schema evolution (the rule every change follows):

1. A tag names a schema forever. Never change or reuse a tag; renaming a class is free
   because the class name is not on the wire.
2. Add fields only with a default. Decoders ignore unknown fields, so old readers accept
   new writers, and new readers fill the default for old writers (and old journal rows).
3. Never remove a field, change its type, or change its meaning or unit. A field that is
   no longer wanted keeps its default and is documented as deprecated.
4. A change that cannot follow rules 2-3 is a new message with a new tag (e.g.
   `exec.fill.v2`); both are decoded while producers migrate, and the journal keeps both.
5. New message classes are added with `register_message` (a test checks every class has an
   explicit tag and round-trips).
"""

import pyengine.messages.sim  # noqa: F401  (registers the simulated-world events)
from pyengine.messages.account import BalanceReport, OrderUpdate, PositionReport
from pyengine.messages.base import Message, tag_of
from pyengine.messages.codec import (
    DecodeError,
    decode,
    encode,
    message_types,
    register_message,
    to_json,
)
from pyengine.messages.collateral import (
    RequestTransfer,
    TransferConfirmed,
    TransferEvent,
    TransferFailed,
    TransferRequested,
    TransferSubmitted,
)
from pyengine.messages.control import (
    ActorRecovery,
    ActorRestarted,
    ActorStatus,
    AlertCleared,
    AlertRaised,
    GapDetected,
    Health,
    Heartbeat,
    PauseMinting,
    ResumeMinting,
    Shutdown,
    StatusReport,
    StatusRequest,
)
from pyengine.messages.execution import (
    CancelOrder,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    PlaceOrder,
    QuoteIssued,
    SubmitOrder,
)
from pyengine.messages.hedging import HedgeLeg, HedgeRequest, HedgeResult, PortfolioDelta
from pyengine.messages.market import (
    BestBidOffer,
    BookDepth,
    BookFault,
    BookTop,
    IndicativePrice,
    Level,
    MarkFunding,
    OraclePrice,
    TradePrint,
)
from pyengine.messages.pricing import (
    IndicativeLadder,
    LadderRung,
    MintCapacity,
    MintOrderAccepted,
    MintOrderConfirmed,
    QuotePriced,
    QuoteRequest,
    QuoteUnavailable,
)
from pyengine.messages.pricing_plan import QuotePlan
from pyengine.messages.validity import InstrumentValidity, RfqLookback  # noqa: F401

__all__ = [
    "ActorRecovery",
    "ActorRestarted",
    "ActorStatus",
    "AlertCleared",
    "AlertRaised",
    "BalanceReport",
    "BestBidOffer",
    "BookDepth",
    "BookFault",
    "BookTop",
    "CancelOrder",
    "DecodeError",
    "GapDetected",
    "Health",
    "Heartbeat",
    "HedgeLeg",
    "HedgeRequest",
    "HedgeResult",
    "IndicativeLadder",
    "IndicativePrice",
    "LadderRung",
    "Level",
    "MarkFunding",
    "Message",
    "MintCapacity",
    "MintOrderAccepted",
    "MintOrderConfirmed",
    "OraclePrice",
    "OrderAccepted",
    "OrderCanceled",
    "OrderFilled",
    "OrderRejected",
    "OrderStatusUnknown",
    "OrderUpdate",
    "PauseMinting",
    "PlaceOrder",
    "PortfolioDelta",
    "PositionReport",
    "QuoteIssued",
    "QuotePlan",
    "QuotePriced",
    "QuoteRequest",
    "QuoteUnavailable",
    "RequestTransfer",
    "ResumeMinting",
    "Shutdown",
    "StatusReport",
    "StatusRequest",
    "SubmitOrder",
    "TradePrint",
    "TransferConfirmed",
    "TransferEvent",
    "TransferFailed",
    "TransferRequested",
    "TransferSubmitted",
    "decode",
    "encode",
    "message_types",
    "register_message",
    "tag_of",
    "to_json",
]
