"""Collateral transfers: each transfer is a durable, idempotent state machine
REQUESTED -> SUBMITTED -> CONFIRMED | FAILED, keyed by `transfer_id` (docs/custody.md#transfers)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pyengine.messages import topics
from pyengine.messages.base import Message
from pyengine.messages.codec import register_message


@register_message
class RequestTransfer(Message, frozen=True, kw_only=True, tag="cmd.transfer.request"):
    """Ask the collateral actor to delegate or undelegate backing assets."""

    transfer_id: str
    kind: str
    custodian: str
    venue: str
    asset: str
    amount: Decimal
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.CMD_TRANSFER_REQUEST

    def topic(self) -> str:
        return self.TOPIC


class TransferEvent(Message, frozen=True, kw_only=True, tag="collateral.transfer.event"):
    """Common shape of the transfer state-machine events (not sent itself)."""

    transfer_id: str
    custodian: str
    CRITICAL: ClassVar[bool] = True
    RECOVER: ClassVar[bool] = True
    TOPIC: ClassVar[str] = topics.COLLATERAL_TRANSFER

    def topic(self) -> str:
        return f"{self.TOPIC}{self.custodian}"


@register_message
class TransferRequested(
    TransferEvent, frozen=True, kw_only=True, tag="collateral.transfer.requested"
):
    """A transfer was recorded and will be submitted."""

    kind: str
    venue: str
    asset: str
    amount: Decimal


@register_message
class TransferSubmitted(
    TransferEvent, frozen=True, kw_only=True, tag="collateral.transfer.submitted"
):
    """The custodian took the transfer; `external_id` is its idempotency key there."""

    external_id: str = ""


@register_message
class TransferConfirmed(
    TransferEvent, frozen=True, kw_only=True, tag="collateral.transfer.confirmed"
):
    """The custodian confirmed the transfer."""

    settled_amount: Decimal | None = None


@register_message
class TransferFailed(TransferEvent, frozen=True, kw_only=True, tag="collateral.transfer.failed"):
    """The transfer failed; nothing moved."""

    reason: str
