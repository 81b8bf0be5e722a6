"""The whole RFQ API fuzzed from its own OpenAPI document by schemathesis: no server error,
every answer as documented; and `examples/mint.py` doing one mint by hand through it."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.integration.chain_harness import chain_snapshot, shared_chain
from tests.integration.rfq_harness import rig

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).with_name("schemathesis")
if not ST.exists():
    ST = Path(shutil.which("schemathesis") or ST)


def test_schemathesis_finds_no_server_error() -> None:
    shared = shared_chain()

    async def main() -> tuple[int, str]:
        with chain_snapshot(shared):
            async with rig(shared) as r:
                proc = await asyncio.create_subprocess_exec(
                    str(ST),
                    "run",
                    f"{r.url}/openapi.json",
                    "--checks",
                    "not_a_server_error,status_code_conformance,content_type_conformance,"
                    "response_schema_conformance",
                    "--max-examples",
                    "60",
                    "--max-time",
                    "50",
                    # One worker: with two, schemathesis' threads call `ast.parse` at once
                    # (hypothesis describing its lambdas), and CPython 3.11.7's AST
                    # conversion is not thread-safe ("SystemError: AST constructor
                    # recursion depth mismatch", seen in CI): a crash of the fuzzer, not
                    # of the API.
                    "--workers",
                    "1",
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.STDOUT,
                    env={**os.environ, "NO_COLOR": "1"},
                )
                out, _ = await asyncio.wait_for(proc.communicate(), 90)
                assert proc.returncode is not None
                return proc.returncode, out.decode(errors="replace")

    code, out = asyncio.run(main())
    assert code == 0, out[-6000:]


def test_examples_mint_does_one_mint_by_hand() -> None:
    shared = shared_chain()

    async def main() -> None:
        with chain_snapshot(shared):
            async with rig(shared) as r:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    str(ROOT / "examples" / "mint.py"),
                    "WETH/USDe",
                    "3",
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.STDOUT,
                    env={**os.environ, "PYENGINE_API": r.url, "PYTHONPATH": str(ROOT)},
                    cwd=ROOT,
                )
                out, _ = await asyncio.wait_for(proc.communicate(), 60)
                text = out.decode()
                assert proc.returncode == 0, text
                assert "accepted {'tx': '0x" in text and "'status': 'confirmed'" in text

    asyncio.run(main())


def test_racing_http_posts_for_one_quote_accept_one() -> None:
    shared = shared_chain()

    async def main() -> None:
        from tests.integration.test_rfq_api import signed

        with chain_snapshot(shared):
            async with rig(shared) as r, aiohttp.ClientSession() as s:
                params = {"pair": "USDT/USDe", "side": "MINT", "size": "1000"}
                async with s.get(f"{r.url}/rfq", params=params) as resp:
                    q = await resp.json()
                import time

                now = int(time.time())
                posts = [
                    signed(q, shared.deployment.domain, nonce=now * 100 + i, expiry=now + 90)
                    for i in range(20)
                ]

                async def go(body: dict[str, object], sig: str) -> int:
                    url = f"{r.url}/order"
                    async with s.post(url, params={"signature": sig}, json=body) as resp:
                        answers.append(await resp.json())
                        return resp.status

                answers: list[object] = []

                statuses = await asyncio.gather(*(go(b, sg) for b, sg in posts))
                # one order takes the quote (and goes on to the chain); every other is refused
                # as a reuse, whatever the chain then says of the winner
                assert statuses.count(409) == 19, answers
                assert sum(1 for a in answers if "'code': 37" in str(a)) == 19

    asyncio.run(main())
