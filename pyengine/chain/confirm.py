"""Order confirmations: submitted orders matched to their Mint/Redeem events.

`ConfirmationTracker` is pure state (what `/order-confirmation` answers from): an order is
SUBMITTED with its transaction, then CONFIRMED by the event carrying its order_id hash, or
FAILED when its transaction's receipt has status 0. `ConfirmationWatcher` feeds it by
polling the chain's logs and the pending receipts, `depth` blocks behind the head.
"""

from __future__ import annotations

import enum

import msgspec

from pyengine.chain.client import ChainClient, Confirmation, ConfirmationKind, order_id_hash


class OrderStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    FAILED = "failed"


class TrackedOrder(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    kind: ConfirmationKind
    tx_hash: str
    status: OrderStatus
    confirmation: Confirmation | None = None


class ConfirmationTracker:
    def __init__(self) -> None:
        self._orders: dict[str, TrackedOrder] = {}
        self._by_topic: dict[str, str] = {}
        self.unmatched_events = 0  # Mint/Redeem events of orders we did not submit

    def submitted(self, order_id: str, kind: ConfirmationKind, tx_hash: str) -> None:
        self._orders[order_id] = TrackedOrder(
            order_id=order_id, kind=kind, tx_hash=tx_hash.lower(), status=OrderStatus.SUBMITTED
        )
        self._by_topic[order_id_hash(order_id)] = order_id

    def status(self, order_id: str) -> TrackedOrder | None:
        return self._orders.get(order_id)

    def pending(self) -> list[TrackedOrder]:
        return [o for o in self._orders.values() if o.status is OrderStatus.SUBMITTED]

    def on_events(self, events: list[Confirmation]) -> list[TrackedOrder]:
        """Newly confirmed orders; an event must match the order's kind and transaction."""
        done: list[TrackedOrder] = []
        for event in events:
            order_id = self._by_topic.get(event.order_id_hash)
            order = self._orders.get(order_id) if order_id is not None else None
            if (
                order is None
                or order.status is not OrderStatus.SUBMITTED
                or order.kind is not event.kind
                or order.tx_hash != event.tx_hash.lower()
            ):
                self.unmatched_events += 1
                continue
            confirmed = msgspec.structs.replace(
                order, status=OrderStatus.CONFIRMED, confirmation=event
            )
            self._orders[order.order_id] = confirmed
            done.append(confirmed)
        return done

    def on_failed(self, tx_hash: str) -> TrackedOrder | None:
        for order in self.pending():
            if order.tx_hash == tx_hash.lower():
                failed = msgspec.structs.replace(order, status=OrderStatus.FAILED)
                self._orders[order.order_id] = failed
                return failed
        return None


class ConfirmationWatcher:
    def __init__(
        self,
        client: ChainClient,
        tracker: ConfirmationTracker,
        start_block: int,
        depth: int = 0,
    ) -> None:
        self.client = client
        self.tracker = tracker
        self.next_block = start_block
        self.depth = depth

    async def poll_once(self) -> list[TrackedOrder]:
        """Read logs up to head - depth and the receipts of pending orders."""
        head = await self.client.block_number() - self.depth
        changed: list[TrackedOrder] = []
        if head >= self.next_block:
            events = await self.client.confirmations(self.next_block, head)
            self.next_block = head + 1
            changed.extend(self.tracker.on_events(events))
        for order in self.tracker.pending():
            status = await self.client.receipt_status_now(order.tx_hash)
            if status == 0:
                failed = self.tracker.on_failed(order.tx_hash)
                if failed is not None:
                    changed.append(failed)
        return changed
