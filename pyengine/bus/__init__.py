"""ZeroMQ transport: PUB/SUB with dotted prefix topics, acknowledged mailboxes, CURVE on tcp.

Frames are `[topic, payload]` on PUB/SUB (topics most general first, so a SUB prefix
`md.book.binance.` gets every Binance book) and `[kind, key, topic, payload]` on the
acknowledged path (`reliable`). Socket high-water marks and drop policies: `sockets`.
"""

from pyengine.bus.busy_poll import BusyPoll
from pyengine.bus.channel import Channel, Frames
from pyengine.bus.curve import CurveGuard, CurveKeyError, CurveKeys, load_keys, make_certificates
from pyengine.bus.reliable import ACK, MSG, NACK, DedupWindow, Outbox, delivery_key
from pyengine.bus.sequence import Gap, SequenceTracker
from pyengine.bus.sockets import BindError, Bus, HighWaterMarks, check_endpoint

__all__ = [
    "ACK",
    "MSG",
    "NACK",
    "BindError",
    "Bus",
    "BusyPoll",
    "Channel",
    "CurveGuard",
    "CurveKeyError",
    "CurveKeys",
    "DedupWindow",
    "Frames",
    "Gap",
    "HighWaterMarks",
    "Outbox",
    "SequenceTracker",
    "check_endpoint",
    "delivery_key",
    "load_keys",
    "make_certificates",
]
