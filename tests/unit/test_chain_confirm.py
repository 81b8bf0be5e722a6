"""ConfirmationTracker: events confirm only the order, kind and transaction they belong to."""

from __future__ import annotations

from pyengine.chain.client import Confirmation, ConfirmationKind, order_id_hash
from pyengine.chain.confirm import ConfirmationTracker, OrderStatus

A = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
TX = "0x" + "11" * 32


def _event(
    order_id: str, kind: ConfirmationKind = ConfirmationKind.MINT, tx: str = TX
) -> Confirmation:
    return Confirmation(
        kind=kind,
        order_id_hash=order_id_hash(order_id),
        benefactor=A,
        beneficiary=A,
        minter=A,
        collateral_asset=A,
        collateral_amount=25 * 10**18,
        usde_amount=2**70,
        tx_hash=tx,
        block_number=7,
        log_index=0,
    )


def test_an_event_confirms_its_order_once() -> None:
    t = ConfirmationTracker()
    t.submitted("rfq-1", ConfirmationKind.MINT, TX.upper().replace("0X", "0x"))
    done = t.on_events([_event("rfq-1")])
    assert [(o.order_id, o.status) for o in done] == [("rfq-1", OrderStatus.CONFIRMED)]
    status = t.status("rfq-1")
    assert status is not None and status.confirmation is not None
    assert status.confirmation.usde_amount == 2**70
    assert t.on_events([_event("rfq-1")]) == [] and t.unmatched_events == 1


def test_foreign_or_mismatched_events_confirm_nothing() -> None:
    t = ConfirmationTracker()
    t.submitted("rfq-2", ConfirmationKind.REDEEM, TX)
    events = [
        _event("someone-else"),
        _event("rfq-2", kind=ConfirmationKind.MINT),
        _event("rfq-2", tx="0x" + "22" * 32),
    ]
    assert t.on_events(events) == []
    assert t.unmatched_events == 3
    assert [o.order_id for o in t.pending()] == ["rfq-2"]


def test_a_failed_receipt_fails_the_order() -> None:
    t = ConfirmationTracker()
    t.submitted("rfq-3", ConfirmationKind.MINT, TX)
    failed = t.on_failed(TX)
    assert failed is not None and failed.status is OrderStatus.FAILED
    assert t.pending() == [] and t.on_failed(TX) is None
