"""`pyengine status` of the embedded default shows the portfolio: per asset custody, hedge,
net delta and tolerance, per position qty, entry and unrealised PnL; the keeper asked for
the hedge of the custodian's coins, and a restart continues its ids from the journal. It
shows the five simulated venues, connected with their books valid of total, and every book
with its exact best bid below its best ask."""

from __future__ import annotations

import signal
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

from pyengine.messages import HedgeRequest
from tests.integration.test_embedded_default import (
    EXAMPLE,
    INSTRUMENTS,
    Poll,
    engine_cmd,
    journal,
    status,
)


def _run(tmp_path: Path, poll: Poll, positions: bool) -> dict[str, Any]:
    proc = subprocess.Popen(
        engine_cmd("run", "--strategy", EXAMPLE, "--duration", "60"),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: dict[str, Any] = {}
    try:

        def shown() -> bool:
            report = status(tmp_path)
            pf = report.get("portfolio") if report else None
            if not pf or set(pf["assets"]) < {"BTC", "ETH"}:
                return False
            if positions and not pf["positions"]:
                return False
            seen.update(pf)
            return True

        poll(shown, 40, "the portfolio in pyengine status")
        if positions:  # the first run: the venues and their books too

            def venues_shown() -> bool:
                report = status(tmp_path)
                if report is None:
                    return False
                rows = {v["name"]: v for v in report["venues"]}
                if set(rows) != {venue for venue, _ in INSTRUMENTS} or not all(
                    v["connected"] and v["books_valid"] == v["books_total"] for v in rows.values()
                ):
                    return False
                seen["venues"], seen["books"] = report["venues"], report["books"]
                return True

            poll(venues_shown, 30, "every simulated venue connected, all its books valid")
        text = subprocess.run(  # noqa: PLW1510
            engine_cmd("status"), cwd=tmp_path, capture_output=True, text=True, timeout=20
        )
        assert "tolerance" in text.stdout and "\nBTC " in text.stdout
        assert not positions or "\nbinance-usdm    yes" in text.stdout
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-3000:]
    return seen


def test_status_shows_the_portfolio_and_a_restart_continues_the_ids(
    tmp_path: Path, poll: Poll
) -> None:
    pf = _run(tmp_path, poll, positions=True)
    venues, books = pf.pop("venues"), pf.pop("books")
    assert sum(v["books_total"] for v in venues) == len(INSTRUMENTS) == 13
    for v in venues:
        assert v["state"] == "active" and 0 <= v["last_msg_age_s"] < 5, v
    assert {(b["venue"], b["symbol"]) for b in books} == INSTRUMENTS
    for b in books:
        # exact decimal strings, as the venue sent them
        assert isinstance(b["best_bid"], str) and isinstance(b["best_ask"], str), b
        assert b["valid"] and Decimal(b["best_bid"]) < Decimal(b["best_ask"]), b
        assert 0 <= b["age_s"] < 30, b
    for asset, custody in (("BTC", 40), ("ETH", 400)):
        a = pf["assets"][asset]
        assert set(a) >= {"custody", "hedge", "delta", "delta_usd", "tolerance_usd"}
        assert Decimal(a["custody"]) == custody and Decimal(a["tolerance_usd"]) == 50_000
        # The keeper's request for the custodian's coins is pending until the hedger's
        # fills make it a hedge.
        assert Decimal(a["pending"]) < 0 or Decimal(a["hedge"]) < 0
    pos = pf["positions"][0]
    assert set(pos) >= {"venue", "symbol", "qty", "entry", "upl"} and Decimal(pos["qty"]) != 0
    db = tmp_path / "var" / "engine.db"
    first = {m.hedge_id for m in journal(db, "hedge.request.") if isinstance(m, HedgeRequest)}
    # (with the hedger filling them, the keeper may issue more than one per asset)
    assert {"keeper-BTC-1", "keeper-ETH-1"} <= first
    _run(tmp_path, poll, positions=False)
    ids = {m.hedge_id for m in journal(db, "hedge.request.") if isinstance(m, HedgeRequest)}

    def numbers(names: set[str], asset: str) -> list[int]:
        return sorted(int(n.rsplit("-", 1)[1]) for n in names if n.startswith(f"keeper-{asset}-"))

    for asset in ("BTC", "ETH"):
        # the restart continues the ids: every new one comes after the first run's
        new = numbers(ids - first, asset)
        assert new and min(new) > max(numbers(first, asset)), (asset, sorted(ids))
