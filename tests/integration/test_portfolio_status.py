"""`pyengine status` of the embedded default shows the portfolio: per asset custody, hedge,
net delta and tolerance, per position qty, entry and unrealised PnL; the keeper asked for
the hedge of the custodian's coins, and a restart continues its ids from the journal."""

from __future__ import annotations

import signal
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

from pyengine.messages import HedgeRequest
from tests.integration.test_embedded_default import EXAMPLE, Poll, engine_cmd, journal, status


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
        text = subprocess.run(  # noqa: PLW1510
            engine_cmd("status"), cwd=tmp_path, capture_output=True, text=True, timeout=20
        )
        assert "tolerance" in text.stdout and "\nBTC " in text.stdout
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
    for asset, custody in (("BTC", 40), ("ETH", 400)):
        a = pf["assets"][asset]
        assert set(a) >= {"custody", "hedge", "delta", "delta_usd", "tolerance_usd"}
        assert Decimal(a["custody"]) == custody and Decimal(a["tolerance_usd"]) == 50_000
        # The keeper's request for the custodian's coins is pending (no hedger runs here).
        assert Decimal(a["pending"]) < 0
    pos = pf["positions"][0]
    assert set(pos) >= {"venue", "symbol", "qty", "entry", "upl"} and Decimal(pos["qty"]) != 0
    db = tmp_path / "var" / "engine.db"
    first = sorted(m.hedge_id for m in journal(db, "hedge.request.") if isinstance(m, HedgeRequest))
    assert first == ["keeper-BTC-1", "keeper-ETH-1"]
    _run(tmp_path, poll, positions=False)
    ids = sorted(m.hedge_id for m in journal(db, "hedge.request.") if isinstance(m, HedgeRequest))
    assert ids == ["keeper-BTC-1", "keeper-BTC-2", "keeper-ETH-1", "keeper-ETH-2"]
