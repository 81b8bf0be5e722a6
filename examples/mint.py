"""Mint USDe by hand against a running engine: GET /rfq, sign, POST /order, poll confirmation.

    pyengine run &                  # the embedded default: API on 127.0.0.1:8780
    python examples/mint.py         # or: python examples/mint.py WETH/USDe 2

Signs with the local development account (0xf39F...2266, whitelisted and funded on the
embedded chain): its key is the public test key of the development mnemonic, good for the
local chain only. Amounts stay exact: the API sends base-unit integers as strings, and the
order carries them back as JSON integers (Python's json keeps big integers exact).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from pyengine.chain.local import DEV_ACCOUNT, dev_key
from pyengine.chain.order import Domain, Order, order_body, sign_order

API = os.environ.get("PYENGINE_API", "http://127.0.0.1:8780")


def call(method: str, path: str, params: dict[str, str], body: Any = None) -> dict[str, Any]:
    url = f"{API}{path}?{urllib.parse.urlencode(params)}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            answer: dict[str, Any] = json.loads(r.read())
    except urllib.error.HTTPError as e:
        answer = json.loads(e.read())
        raise SystemExit(f"{method} {path}: HTTP {e.code} {answer}") from None
    return answer


def main(pair: str = "WETH/USDe", size: str = "2") -> None:
    chain = call("GET", "/chain-info", {})
    domain = Domain(chain_id=chain["chain_id"], verifying_contract=chain["minting_contract"])
    q = call(
        "GET",
        "/rfq",
        {"pair": pair, "type_": "ALGO", "side": "MINT", "size": size, "benefactor": DEV_ACCOUNT},
    )
    print("quote", q)
    now = int(time.time())
    order = Order.checked(
        order_id=q["rfq_id"],
        order_type=0,
        expiry=now + 60,
        nonce=now,
        benefactor=DEV_ACCOUNT,
        beneficiary=DEV_ACCOUNT,
        collateral_asset=q["collateral_asset"],
        collateral_amount=int(q["collateral_amount"]),
        usde_amount=int(q["usde_amount"]),
    )
    signature = "0x" + sign_order(order, domain, dev_key(0)).signature_bytes.hex()
    body = order_body(order)
    tx = call("POST", "/order", {"signature": signature}, body)
    print("accepted", tx)
    for _ in range(60):
        status = call("GET", "/order-confirmation", {"order_id": order.order_id})
        if status["status"] != "submitted":
            print("confirmation", status)
            return
        time.sleep(0.5)
    raise SystemExit("no confirmation within 30 s")


if __name__ == "__main__":
    main(*sys.argv[1:3])
