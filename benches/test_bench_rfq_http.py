"""RFQ HTTP API latency (issue 12, "Speed"): `GET /rfq` and `POST /order` p50 and p99 at a
steady open-loop offered load of `RATE` requests/s, each as a ratio to a bare endpoint of the
same framework and server measured in the same run. Target: ratio <= 1.5x.

The server is what `pyengine run` serves: the rfq actor (`RfqService`) on a real
`ActorRunner`, its Litestar app on uvicorn in the actors' uvloop event loop, the inproc bus
to a pricing peer, and the local chain (py-evm over loopback JSON-RPC on a worker thread of
this process, as the embedded default runs it), which the rfq actor polls for confirmations
and per-block capacity every 0.5 s (its default). The bare endpoint is a one-route Litestar
app with the same settings on a second uvicorn server in the same loop, bound and started as
`pyengine.api.server` does, so it shares the same polls and timers; it answers fixed bytes
without reading the query or the body.

The load comes from two processes of their own (`benches/http_load.py`): a client that
sends on a fixed schedule whatever the answers do (open loop) and times each request from
its write to the last byte of its answer, and a quoter that fetches and signs the quotes the
orders need, so that signing never runs on the loop that times the POSTs. Every line offers
the server `RATE` requests/s in all:

- bare GET: `RATE`/s of `GET /bare?<the rfq query>`.
- GET /rfq: `RATE`/s: HTTP, the query parsed, the actor's `handle`, a `QuoteRequest` over the
  bus to the pricing peer and its `QuotePriced` back by acknowledged delivery, the firm quote
  recorded and announced (`QuoteIssued`, critical), the answer written. The peer prices from
  a fixed table (the harness's stand-in); the real pricing actor's work is
  test_bench_pricing.py's.
- bare POST: `RATE`/2 POSTs of an order-sized body, plus the quoter's `RATE`/2 bare GETs.
- POST /order: `RATE`/2 signed orders, plus the `RATE`/2 `GET /rfq` that fetch their quotes
  (each order needs a fresh single-use quote, asked `LEAD_NS` before the order is due, well
  inside the 500 ms it is firm). Timed: the POST only. It covers the body decoded and every
  check the API makes before it turns to the chain: minting open, the V2 schema, the quote
  looked up (issued, unused, firm), an exact match with it, expiry, the EIP-712 digest and
  the signer recovered, then the nonce hold, which refuses it with code 24 (the quote stays
  unused): every order reuses the nonce of one order accepted before the timed phases.
  Past that point an accepted order waits for the chain (its facts are ~25 ms of py-evm each
  here, then a fresh price and the submission): py-evm cannot take 500 orders/s, so at this
  rate such a number would be the local chain's, not the API's.
- POST /order accepted: `FULL_RATE`/s orders, each accepted, through the chain reads, the
  re-price and the submission (its answer is the transaction hash). Printed, not asserted:
  mostly the local chain's speed.

Ratios are a line's p50 and p99 over its bare line's, and its event-loop CPU per request
over the bare line's (see load_driver.py), each printed beside the 1.5x target (met or
MISSED) and its CI budget (`BUDGETS`, loose). The CPU ratio is asserted in every run at the
default rate: it does not depend on how much of the 2 shared cores the server got. A line's
latency ratios are asserted when it and its bare line kept up with the offered load
(`KEPT_UP`); where one did not, the run prints SATURATED with the rates answered and leaves
them unasserted, as its percentiles are then the length of a queue on a starved CPU, not
the API's work. Each line is `ROUNDS` interleaved phases of `SECONDS`, pooled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import uvloop
from litestar import Litestar, Request, Response, get, post

from benches.load_driver import Load, Phase, pct
from pyengine.actors.rfq_codes import ApiCode
from pyengine.api.app import MAX_BODY_BYTES
from pyengine.api.server import bind, start_uvicorn
from pyengine.chain.local import DEV_ACCOUNT
from tests.integration.chain_harness import SharedChain, chain_snapshot, shared_chain
from tests.integration.rfq_harness import rig

DEFAULT_RATE = 1000.0
RATE = float(os.environ.get("BENCH_RFQ_RATE", str(DEFAULT_RATE)))
"""Requests/s offered to the server in every timed line (BENCH_RFQ_RATE, for experiments)."""
SECONDS = 1.5
ROUNDS = 2
WARMUP_S = 0.4
IDLE_S = 1.0
LEAD_NS = 100_000_000
START_NS = 200_000_000
FULL_RATE = 5.0
FULL_SECONDS = 2.0
TARGET = 1.5
BUDGETS = {"p50": 100.0, "p99": 100.0, "cpu": 8.0}
"""A smoke run's budgets, far above the target. On this shared 2-core box, in runs that kept
up at 1,000 requests/s: GET /rfq p50 4.3-4.6x, p99 3.1-4.7x; POST /order p50 12-56x (the
server's event loop is near its capacity there, so the queue is most of it), p99 4.4-5.9x;
at 100-300 requests/s POST /order p50 4.5-4.9x. CPU ratios 3.1-4.9x (the idle rate taken
out is as large as a bare request's work, hence the spread; well below the default rate it
dominates, so the CPU ratio is asserted at the default rate only). Twice the API's work per
request would land at about 6-10x CPU; 30 ms more per request fails p50."""
POLL_S = float(os.environ.get("BENCH_RFQ_POLL_S", "0.5"))
"""The rfq actor's chain polls (its default; a large value takes them out, for comparison)."""
KEPT_UP = 0.99
"""A line kept up if it answered this share of RATE (over the span of its answers: 999-1,001
of 1,000/s when it does), no quote expired, and no order was posted late for want of its
quote (send lag p99 under LEAD_NS)."""
EXPIRED = str(int(ApiCode.RFQ_EXPIRED))
MAX_EXPIRED = 0.25
"""Orders whose quote expired in the server's queue, at most (more: the line measures little
but the queue)."""
SEED_NONCE = int(time.time())
HOST = "127.0.0.1"
JSON = "application/json"
QUERY = {"pair": "WETH/USDe", "side": "MINT", "size": "1", "type_": "ALGO"}
RFQ_PATH = f"/rfq?{urlencode(QUERY)}"
BARE_PATH = f"/bare?{urlencode(QUERY)}"
BARE_ANSWER = json.dumps(
    {
        "rfq_id": "rfq-0000000000000000000-1",
        "pair": "WETH/USDe",
        "side": "MINT",
        "size": "1",
        "collateral_asset": DEV_ACCOUNT,
        "collateral_amount": str(10**18),
        "usde_amount": str(2997 * 10**18),
        "gas": "1.5",
    }
).encode()
BARE_BODY = json.dumps(
    {
        "order_id": "rfq-0000000000000000000-1",
        "order_type": 0,
        "expiry": 1_800_000_000,
        "nonce": SEED_NONCE,
        "benefactor": DEV_ACCOUNT,
        "beneficiary": DEV_ACCOUNT,
        "collateral_asset": DEV_ACCOUNT,
        "collateral_amount": 10**18,
        "usde_amount": 2997 * 10**18,
    }
)
TIMED = ("bare GET", "GET /rfq", "bare POST", "POST /order")


def bare_app() -> Litestar:
    """A GET and a POST route answering fixed bytes, with the app settings of `build_app`."""

    @get("/bare")
    async def bare_get() -> Response[bytes]:
        return Response(BARE_ANSWER, media_type=JSON)

    @post("/bare", status_code=200)
    async def bare_post() -> Response[bytes]:
        return Response(BARE_ANSWER, media_type=JSON)

    def on_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
        return Response(b'{"error": "internal error", "code": 0}', status_code=500)

    return Litestar(
        route_handlers=[bare_get, bare_post],
        exception_handlers={Exception: on_error},
        openapi_config=None,
        logging_config=None,
        debug=False,
        request_max_body_size=MAX_BODY_BYTES,
    )


@contextlib.asynccontextmanager
async def bare_server() -> AsyncIterator[int]:
    """The bare app on uvicorn in this loop, configured and started as `ApiServer` does."""
    sock = bind(HOST, 0)
    server = await start_uvicorn(bare_app(), sock)
    try:
        yield int(sock.getsockname()[1])
    finally:
        await server.shutdown(sockets=[sock])
        sock.close()


def gets(port: int, path: str, seconds: float) -> dict[str, Any]:
    start = time.monotonic_ns() + START_NS
    return {"host": HOST, "port": port, "path": path, "rate": RATE, "seconds": seconds} | {
        "start_ns": start
    }


async def post_bare(load: Load, port: int, seconds: float) -> Phase:
    """RATE/2 order-sized POSTs to /bare, beside RATE/2 bare GETs from the quoter."""
    start = time.monotonic_ns() + START_NS + LEAD_NS
    cmd = {"host": HOST, "port": port, "rate": RATE / 2, "seconds": seconds, "start_ns": start}
    return await load.run(
        {**cmd, "path": "/bare", "body": BARE_BODY},
        {**cmd, "path": BARE_PATH, "lead_ns": LEAD_NS},
    )


async def orders(
    load: Load,
    shared: SharedChain,
    port: int,
    rate: float,
    seconds: float,
    *,
    nonce: int,
    step: int,
) -> Phase:
    """Signed orders at `rate` (nonce, nonce + step, ...), each on its own fresh quote."""
    d = shared.deployment.domain
    cmd = {
        "op": "orders",
        "host": HOST,
        "port": port,
        "path": f"/rfq?{urlencode({**QUERY, 'benefactor': DEV_ACCOUNT})}",
        "rate": rate,
        "seconds": seconds,
        "start_ns": time.monotonic_ns() + START_NS + LEAD_NS,
        "lead_ns": LEAD_NS,
        "sign": True,
        "chain_id": d.chain_id,
        "minting": d.verifying_contract,
        "nonce": nonce,
        "nonce_step": step,
    }
    return await load.run(cmd, cmd)


def check(phase: Phase, name: str, status: str, code: str | None = None) -> None:
    """Every request answered, and as the line says: the stage it measures was reached.

    An order refused as its quote expired (18) waited in the server's queue for most of its
    500 ms (the server fell behind); those stay in the percentiles, at their tail.
    """
    n = phase.scheduled
    assert len(phase.latency_ns) == n, (name, phase.statuses)
    if phase.quote_statuses:
        assert set(phase.quote_statuses) == {"200"}, (name, "quotes", phase.quote_statuses)
    assert phase.statuses == {status: n}, (name, phase.statuses, phase.codes)
    if code is not None:
        assert set(phase.codes) <= {code, EXPIRED}, (name, phase.codes)
        late = phase.codes.get(EXPIRED, 0)
        assert late <= MAX_EXPIRED * n, f"{name}: {late} of {n} quotes expired in the queue"


async def bench(shared: SharedChain) -> dict[str, Phase]:
    lines = {k: Phase() for k in TIMED}
    load = Load()
    await load.start()
    try:
        with chain_snapshot(shared):
            options = {"poll_interval_s": POLL_S}
            async with rig(shared, options=options) as r, bare_server() as bare:
                api = r.rfq.server.port
                # one order accepted and on chain: every timed POST reuses its nonce
                seed = await orders(load, shared, api, 10, 0.1, nonce=SEED_NONCE, step=0)
                check(seed, "seed order", "200")
                await load.run(gets(bare, BARE_PATH, WARMUP_S))
                await load.run(gets(api, RFQ_PATH, WARMUP_S))
                await post_bare(load, bare, WARMUP_S)
                await orders(load, shared, api, RATE / 2, WARMUP_S, nonce=SEED_NONCE, step=0)
                for _ in range(ROUNDS):
                    await load.idle(IDLE_S)
                    lines["bare GET"].add(await load.run(gets(bare, BARE_PATH, SECONDS)))
                    lines["GET /rfq"].add(await load.run(gets(api, RFQ_PATH, SECONDS)))
                    lines["bare POST"].add(await post_bare(load, bare, SECONDS))
                    lines["POST /order"].add(
                        await orders(load, shared, api, RATE / 2, SECONDS, nonce=SEED_NONCE, step=0)
                    )
                lines["POST /order accepted"] = await orders(
                    load, shared, api, FULL_RATE, FULL_SECONDS, nonce=SEED_NONCE + 1, step=1
                )
    finally:
        await load.close()
    for line in lines.values():
        line.idle_rate = load.idle_rate
    return lines


def ratios(name: str, line: Phase, bare: Phase, asserted: bool) -> dict[str, float]:
    """The line's ratios to its bare line, printed beside the target and the CI budget."""
    got = {
        "p50": line.p(0.5) / bare.p(0.5),
        "p99": line.p(0.99) / bare.p(0.99),
        "cpu": line.cpu_per_request / bare.cpu_per_request,
    }
    for q, ratio in got.items():
        what = "event-loop CPU per request" if q == "cpu" else f"{q} latency"
        target = f"target {TARGET}x: {'met' if ratio <= TARGET else 'MISSED'}; "
        checked = RATE >= DEFAULT_RATE if q == "cpu" else asserted
        budget = f"CI budget x{BUDGETS[q]}" if checked else "not asserted"
        print(
            f"[bench] rfq http {name} / bare, {what}: x{ratio:.2f}"
            f" ({target if q != 'cpu' else ''}{budget})"
        )
    return got


def test_rfq_http_latency_against_a_bare_endpoint() -> None:
    shared = shared_chain()
    lines = uvloop.run(asyncio.wait_for(bench(shared), 120))
    for name, line in lines.items():
        line.show(name, 2 * FULL_RATE if name == "POST /order accepted" else RATE)
    behind = {
        name: line.rate
        for name, line in lines.items()
        if name in TIMED
        and (
            line.rate < KEPT_UP * RATE
            or line.codes.get(EXPIRED)
            or pct(sorted(line.lag_ns), 0.99) * 1e3 >= LEAD_NS
        )
    }
    if behind:
        rates = ", ".join(f"{k} {v:.0f}/s" for k, v in behind.items())
        print(f"[bench] rfq http SATURATED at {RATE:.0f} requests/s offered: {rates} answered")
    pairs = {"GET /rfq": "bare GET", "POST /order": "bare POST"}
    kept_up = {k: k not in behind and bare not in behind for k, bare in pairs.items()}
    got = {k: ratios(k, lines[k], lines[bare], kept_up[k]) for k, bare in pairs.items()}
    full, bare_post = lines["POST /order accepted"], lines["bare POST"]
    print(
        "[bench] rfq http POST /order accepted / bare, p50 latency: "
        f"x{full.p(0.5) / bare_post.p(0.5):.0f} (the local chain's time; not asserted)"
    )
    check(lines["bare GET"], "bare GET", "200")
    check(lines["GET /rfq"], "GET /rfq", "200")
    check(lines["bare POST"], "bare POST", "200")
    check(lines["POST /order"], "POST /order", "400", str(int(ApiCode.DUPLICATE_NONCE)))
    check(full, "POST /order accepted", "200")
    for name, line_ratios in got.items():
        for q, ratio in line_ratios.items():
            if (q == "cpu" and RATE >= DEFAULT_RATE) or (q != "cpu" and kept_up[name]):
                assert ratio <= BUDGETS[q], f"{name} / bare, {q}: x{ratio:.2f} > x{BUDGETS[q]}"
