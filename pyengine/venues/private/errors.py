"""Typed failures of the authenticated venue clients.

A venue refusing an order is an expected outcome and comes back as `OrderRejected`; these
exceptions are for what the caller cannot treat as an answer: the venue refused our
credentials, the request never got an answer, or a reconciliation request was refused.
"""

from __future__ import annotations

from pyengine.errors import EngineError


class PrivateClientError(EngineError, RuntimeError):
    """Base of every private-client failure."""


class VenueAuthError(PrivateClientError, PermissionError):
    """The venue refused the credentials or the signature (wrong key, secret, passphrase,
    permissions, or a timestamp outside the receive window)."""


class VenueTransportError(PrivateClientError, ConnectionError):
    """No usable answer: connection failure, timeout, server error or an unreadable body.

    For an order request the order's fate is unknown; reconciliation settles it."""


class VenueRequestError(PrivateClientError):
    """The venue answered a request with an error code (for order entry this becomes an
    `OrderRejected`; elsewhere it is raised)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
