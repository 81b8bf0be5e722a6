"""An open-loop HTTP/1.1 load generator for the RFQ API benchmark, run in processes of its own.

`python -m benches.http_load client|quoter FD` (FD: their end of the pipe between the two),
commanded by JSON lines on stdin, one JSON result line on stdout per command.

- Open loop: request i is sent at `start_ns + i / rate`, whether or not earlier answers came
  back, so a slow server meets the full offered load instead of throttling its own clients.
- Latency is timed from the moment the request is written to the socket to the moment the
  last byte of the answer is read (`time.monotonic_ns`, one clock for every process on
  Linux). The send lag (written later than scheduled, because the generator's loop was
  busy or descheduled) is reported apart, so a generator that fell behind is visible.
- The HTTP client is a minimal keep-alive protocol over asyncio (no aiohttp): its own cost
  adds to every sample, bare or not, and a heavier client would pull the ratios towards 1.
- `quoter` asks for quotes (`GET /rfq`) `lead_ns` before each order is due, signs them
  (EIP-712, the development key, as a market maker's client does) and passes each signed
  order through a pipe to the `client`, which posts it when due: signing (~0.3 ms of CPU)
  never runs on the loop that times the POSTs. With `sign` off it only sends the same GETs,
  for a baseline with the same offered load.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any, BinaryIO, cast

import uvloop

Answer = tuple[int, int, int, bytes]
"""(written_ns, answered_ns, status, body) of one request."""


class HttpError(RuntimeError):
    """An answer this client cannot read (no Content-Length), or a connection lost."""


class Conn(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.fut: asyncio.Future[tuple[int, int, bytes]] | None = None
        self.head_end = -1
        self.need = -1
        self.status = 0
        self.open = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        self.buf += data
        if self.need < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("latin-1").lower().split("\r\n")
            self.status = int(head[0].split(" ", 2)[1])
            length = next(
                (h.split(":", 1)[1] for h in head if h.startswith("content-length:")), None
            )
            if length is None:
                self._fail(HttpError(f"no content-length in {head[0]!r}"))
                return
            self.head_end = end + 4
            self.need = self.head_end + int(length)
            self.open = not any(h.startswith("connection:") and "close" in h for h in head)
        if len(self.buf) >= self.need:
            body = bytes(self.buf[self.head_end : self.need])
            del self.buf[: self.need]
            self.need = -1
            fut, self.fut = self.fut, None
            if fut is not None and not fut.done():
                fut.set_result((now, self.status, body))

    def _fail(self, exc: Exception) -> None:
        self.open = False
        fut, self.fut = self.fut, None
        if fut is not None and not fut.done():
            fut.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(HttpError(f"connection lost: {exc}"))


class Client:
    """A pool of keep-alive connections to one server; a new one opens when all are busy."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[Conn] = []
        self.every: list[Conn] = []

    async def _connect(self) -> Conn:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(Conn, self.host, self.port)
        self.every.append(conn)
        return conn

    async def warm(self, n: int) -> None:
        self.idle.extend(await asyncio.gather(*(self._connect() for _ in range(n))))

    def close(self) -> None:
        for c in self.every:
            if c.transport is not None:
                c.transport.close()
        self.idle.clear()
        self.every.clear()

    async def send(self, raw: bytes) -> Answer:
        conn = self.idle.pop() if self.idle else await self._connect()
        fut: asyncio.Future[tuple[int, int, bytes]] = asyncio.get_running_loop().create_future()
        conn.fut = fut
        assert conn.transport is not None
        written = time.monotonic_ns()
        conn.transport.write(raw)
        answered, status, body = await fut
        if conn.open:
            self.idle.append(conn)
        return written, answered, status, body


def get_bytes(host: str, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


def post_bytes(host: str, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def open_loop(
    rate: float, seconds: float, start_ns: int, one: Callable[[int], Coroutine[Any, Any, None]]
) -> list[int]:
    """Start `one(i)` at `start_ns + i / rate` for `rate * seconds` requests; the send lags."""
    loop = asyncio.get_running_loop()
    n = max(1, round(rate * seconds))
    period = 1e9 / rate
    tasks: list[asyncio.Task[None]] = []
    lags: list[int] = []
    for i in range(n):
        due = start_ns + int(i * period)
        wait = due - time.monotonic_ns()
        if wait > 0:
            await asyncio.sleep(wait / 1e9)
        lags.append(time.monotonic_ns() - due)
        tasks.append(loop.create_task(one(i)))
    await asyncio.gather(*tasks)
    return lags


def summary(answers: list[Answer], lags: list[int], scheduled: int) -> dict[str, Any]:
    statuses: Counter[int] = Counter(a[2] for a in answers)
    codes: Counter[int] = Counter()
    for a in answers:
        if a[2] >= 400:
            codes[int(json.loads(a[3]).get("code", -1))] += 1
    # Throughput is answers over the time they came in: a constant latency shifts them but
    # keeps their spacing; a server that falls behind spreads them out at its own pace.
    first = min((a[1] for a in answers), default=0)
    last = max((a[1] for a in answers), default=0)
    return {
        "scheduled": scheduled,
        "latency_ns": [a[1] - a[0] for a in answers],
        "statuses": {str(k): v for k, v in statuses.items()},
        "codes": {str(k): v for k, v in codes.items()},
        "span_s": (last - first) / 1e9,
        "lag_ns": sorted(lags),
    }


async def fixed(client: Client, cmd: dict[str, Any]) -> dict[str, Any]:
    """`rate` x `seconds` requests of one kind: a GET of `path`, or a POST of `body`."""
    path = cmd["path"]
    raw = (
        post_bytes(client.host, path, cmd["body"].encode())
        if "body" in cmd
        else get_bytes(client.host, path)
    )
    answers: list[Answer] = []

    async def one(_: int) -> None:
        answers.append(await client.send(raw))

    lags = await open_loop(cmd["rate"], cmd["seconds"], cmd["start_ns"], one)
    return summary(answers, lags, len(lags))


async def post_orders(client: Client, pipe: asyncio.StreamReader) -> dict[str, Any]:
    """Post each signed order the quoter passes, at its due time, until its end marker."""
    loop = asyncio.get_running_loop()
    answers: list[Answer] = []
    lags: list[int] = []
    tasks: list[asyncio.Task[None]] = []

    async def one(due: int, raw: bytes) -> None:
        wait = due - time.monotonic_ns()
        if wait > 0:
            await asyncio.sleep(wait / 1e9)
        lags.append(time.monotonic_ns() - due)
        answers.append(await client.send(raw))

    while True:
        item = json.loads(await pipe.readline())
        if item.get("end"):
            break
        raw = post_bytes(client.host, item["path"], item["body"].encode())
        tasks.append(loop.create_task(one(item["due_ns"], raw)))
    await asyncio.gather(*tasks)
    return summary(answers, lags, len(tasks))


async def client_main(pipe_fd: int) -> None:
    loop = asyncio.get_running_loop()
    pipe = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(pipe), os.fdopen(pipe_fd, "rb", buffering=0)
    )
    stdin = await stdin_reader()
    while line := await stdin.readline():
        cmd = json.loads(line)
        client = Client(cmd["host"], cmd["port"])
        await client.warm(cmd.get("connections", 8))
        try:
            out = await (
                post_orders(client, pipe) if cmd.get("op") == "orders" else fixed(client, cmd)
            )
        finally:
            client.close()
        write_line(out)


async def quotes(client: Client, cmd: dict[str, Any], pipe: BinaryIO) -> dict[str, Any]:
    """GET `path` at `rate`, each `lead_ns` before the order it quotes is due at
    `start_ns + i / rate`; with `sign`, each quote signed and passed to the client."""
    from pyengine.chain.local import DEV_ACCOUNT, dev_key
    from pyengine.chain.order import Domain, Order, order_body, sign_order

    raw = get_bytes(client.host, cmd["path"])
    sign = bool(cmd.get("sign", False))
    key = dev_key(0) if sign else b""
    domain = Domain(cmd.get("chain_id", 0), cmd.get("minting", ""))
    rate, start, lead = float(cmd["rate"]), int(cmd["start_ns"]), int(cmd.get("lead_ns", 0))
    answers: list[Answer] = []

    async def one(i: int) -> None:
        answer = await client.send(raw)
        answers.append(answer)
        _, _, status, body = answer
        if not sign or status != 200:
            return
        q = json.loads(body)
        order = Order.checked(
            order_id=q["rfq_id"],
            order_type=0 if q["side"] == "MINT" else 1,
            expiry=int(time.time()) + 120,
            nonce=cmd["nonce"] + i * cmd.get("nonce_step", 0),
            benefactor=DEV_ACCOUNT,
            beneficiary=DEV_ACCOUNT,
            collateral_asset=q["collateral_asset"],
            collateral_amount=int(q["collateral_amount"]),
            usde_amount=int(q["usde_amount"]),
        )
        sig = sign_order(order, domain, key).signature_bytes
        body_out = order_body(order)
        item = {
            "due_ns": start + int(i * 1e9 / rate),
            "path": f"/order?signature=0x{sig.hex()}",
            "body": json.dumps(body_out),
        }
        pipe.write(json.dumps(item).encode() + b"\n")

    try:
        lags = await open_loop(rate, cmd["seconds"], start - lead, one)
    finally:
        if sign:
            pipe.write(b'{"end": true}\n')
    return summary(answers, lags, len(lags))


async def quoter_main(pipe_fd: int) -> None:
    pipe = os.fdopen(pipe_fd, "wb", buffering=0)
    stdin = await stdin_reader()
    while line := await stdin.readline():
        cmd = json.loads(line)
        client = Client(cmd["host"], cmd["port"])
        await client.warm(cmd.get("connections", 8))
        try:
            out = await quotes(client, cmd, pipe)
        finally:
            client.close()
        write_line(out)


async def stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def write_line(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> None:
    role, fd = sys.argv[1], int(sys.argv[2])
    uvloop.run(client_main(fd) if role == "client" else quoter_main(fd))


if __name__ == "__main__":
    main()
