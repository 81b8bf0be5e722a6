"""The API's OpenAPI 3.1 document, built from the msgspec types the server speaks.

Written from the types rather than from the handlers' signatures because the handlers read
the raw body themselves: a framework decoder could convert a JSON float into an integer
amount, and amounts must stay exact (docs/mint-redeem.md#rfq-api).
"""

from __future__ import annotations

from typing import Any

import msgspec

from pyengine.actors.rfq_types import (
    Availability,
    ChainInfo,
    ConfirmationResponse,
    ErrorBody,
    OrderBody,
    OrderResponse,
    RfqResponse,
)

REF = "#/components/schemas/"
AMOUNT = {
    "oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "^[0-9]{1,80}$"},
    ],
    "description": "base units: a JSON integer of any size or a base-10 integer string",
}


def _q(name: str, schema: dict[str, Any], required: bool = True, doc: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": doc}


def _answers(ok: str) -> dict[str, Any]:
    err = {"content": {"application/json": {"schema": {"$ref": REF + "ErrorBody"}}}}
    out: dict[str, Any] = {
        "200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": REF + ok}}},
        }
    }
    for status in ("400", "403", "404", "409", "429", "503"):
        out[status] = {"description": "refused: {error, code}", **err}
    return out


def document() -> dict[str, Any]:
    _, components = msgspec.json.schema_components(
        [
            Availability,
            RfqResponse,
            OrderResponse,
            ConfirmationResponse,
            ChainInfo,
            ErrorBody,
            OrderBody,
        ],
        ref_template=REF + "{name}",
    )
    body = components["OrderBody"]
    for field in ("order_type", "expiry", "nonce", "collateral_amount", "usde_amount"):
        body["properties"][field] = AMOUNT
    address = {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pyengine RFQ API",
            "version": "2",
            "description": "Ethena-compatible minting API: quotes, signed orders, confirmations.",
        },
        "paths": {
            "/asset-availability": {
                "get": {"operationId": "assetAvailability", "responses": _answers("Availability")}
            },
            "/rfq": {
                "get": {
                    "operationId": "rfq",
                    "parameters": [
                        _q("pair", {"type": "string"}, doc="<COLLATERAL>/USDe"),
                        _q("type_", {"type": "string", "enum": ["ALGO"]}, required=False),
                        _q("side", {"type": "string", "enum": ["MINT", "REDEEM"]}),
                        _q("size", {"type": "string"}, doc="collateral units, decimal"),
                        _q("benefactor", address, required=False),
                    ],
                    "responses": _answers("RfqResponse"),
                }
            },
            "/order": {
                "post": {
                    "operationId": "order",
                    "parameters": [
                        _q("signature", {"type": "string", "pattern": "^0x([0-9a-fA-F]{2})*$"}),
                        _q(
                            "signature_type",
                            {"type": "string", "enum": ["EIP712", "EIP1271"]},
                            required=False,
                        ),
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": REF + "OrderBody"}}},
                    },
                    "responses": _answers("OrderResponse"),
                }
            },
            "/chain-info": {
                "get": {"operationId": "chainInfo", "responses": _answers("ChainInfo")}
            },
            "/order-confirmation": {
                "get": {
                    "operationId": "orderConfirmation",
                    "parameters": [_q("order_id", {"type": "string"})],
                    "responses": _answers("ConfirmationResponse"),
                }
            },
        },
        "components": {"schemas": components},
    }
