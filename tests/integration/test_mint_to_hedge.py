"""The loop, end to end, as a newcomer runs it from the README: `pyengine run` (the embedded
default), `python examples/mint.py WETH/USDe 20` against its API; the order is accepted,
confirmed on the local chain, handed to hedging as 20 ETH to sell, hedged on the simulated
venues, and `pyengine status` then shows the engine delta-neutral on ETH.

The simulated market maker of the embedded default mints and redeems beside us all along,
so "neutral" is asserted at a moment when no hedge is working, as an operator would read it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.integration.test_embedded_default import ROOT, Poll, engine_cmd, status

SIZE = Decimal(20)


def _hedge(report: dict[str, Any], hedge_id: str) -> dict[str, Any] | None:
    rows = (report.get("hedging") or {}).get("requests") or []
    return next((r for r in rows if r["id"] == hedge_id), None)


def test_a_mint_through_the_api_ends_hedged_and_delta_neutral(tmp_path: Path, poll: Poll) -> None:
    proc = subprocess.Popen(
        engine_cmd("run", "--duration", "150"),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        api: dict[str, str] = {}

        def open_for_minting() -> bool:
            report = status(tmp_path)
            if not report or (report.get("minting") or {}).get("state") != "open":
                return False
            api["url"] = report["api"]["url"]
            query = urllib.parse.urlencode({"pair": "WETH/USDe", "side": "MINT", "size": SIZE})
            try:  # a firm quote needs valid books and fresh oracles: the pricing actor's call
                with urllib.request.urlopen(f"{api['url']}/rfq?{query}", timeout=5) as r:
                    return bool(r.status == 200)
            except urllib.error.URLError:
                return False

        poll(open_for_minting, 60, "the front door open")
        mint = subprocess.run(  # noqa: PLW1510
            [sys.executable, str(ROOT / "examples" / "mint.py"), "WETH/USDe", str(SIZE)],
            env={**os.environ, "PYENGINE_API": api["url"], "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert mint.returncode == 0, mint.stdout + mint.stderr
        assert "accepted {'tx': '0x" in mint.stdout and "'status': 'confirmed'" in mint.stdout
        order_id = next(
            line.split("'rfq_id': '")[1].split("'")[0]
            for line in mint.stdout.splitlines()
            if line.startswith("quote ")
        )
        hedge_id = f"mint-{order_id}"
        seen: dict[str, Any] = {}

        def hedged_and_neutral() -> bool:
            report = status(tmp_path)
            if not report:
                return False
            seen["last"] = report
            ours = _hedge(report, hedge_id)
            rows = (report.get("hedging") or {}).get("requests") or []
            eth = ((report.get("portfolio") or {}).get("assets") or {}).get("ETH")
            if ours is None or ours["state"] != "done" or eth is None:
                return False
            if any(r["state"] == "working" for r in rows):
                return False  # the market maker's own hedge in flight: read again
            seen.update(ours=ours, eth=eth, report=report)
            return abs(Decimal(eth["delta_usd"])) <= Decimal(eth["tolerance_usd"])

        try:
            poll(hedged_and_neutral, 60, "our mint hedged and ETH delta-neutral")
        except AssertionError:
            last = seen.get("last") or {}
            hedging = (last.get("hedging") or {}).get("requests")
            raise AssertionError(
                f"not hedged and neutral: portfolio {(last.get('portfolio') or {}).get('assets')}"
                f"; hedging {hedging}"
            ) from None
        ours, eth = seen["ours"], seen["eth"]
        assert ours["asset"] == "ETH"
        assert Decimal(ours["target"]) == -SIZE  # sell the 20 ETH taken in
        # done: within the hedger's tolerance ($1,000; inverse legs come in contracts of $10)
        miss = abs(Decimal(ours["filled"]) - Decimal(ours["target"])) * Decimal(eth["price"])
        assert miss <= 1000, ours
        assert Decimal(eth["hedge"]) < 0 < Decimal(eth["custody"])
        report = seen["report"]
        assert report["quotes"]["accepted"] >= 1
        shorts = [p for p in report["portfolio"]["positions"] if Decimal(p["qty"]) < 0]
        assert {p["venue"] for p in shorts} >= {"binance-usdm"}, shorts
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
