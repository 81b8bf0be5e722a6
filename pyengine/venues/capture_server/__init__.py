"""Local venue servers that replay real captures, for tests and for operators.

`pyengine serve-capture` starts one: a feed (or the whole engine, by config) then connects
to it exactly as it would to the venue, so a capture can be rehearsed end to end offline.
"""

from pyengine.venues.capture_server.server import Faults, ReplayServer

__all__ = ["Faults", "ReplayServer"]
