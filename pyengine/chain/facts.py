"""Read, at one pinned block, every chain fact the off-chain validator needs for one order.

The reads mirror what Minting.vy looks at while it runs `mint`/`redeem`: token config and
this block's totals, the allow-list, the approved beneficiary, the delegation of the signer
recovered off-chain, EIP-1271 through the benefactor's wallet, the route's custodians, the
nonce bitmap word, and the balances and allowances the token moves need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.abi import (
    function_abi_to_4byte_selector,
    get_abi_input_types,
    get_abi_output_types,
)
from eth_utils.crypto import keccak

from pyengine.chain.order import (
    MAX_UINT120,
    Order,
    Route,
    Signature,
    SignatureType,
    order_digest,
    recover_signer,
)
from pyengine.chain.refusals import RefusalKind, kind_from_revert
from pyengine.chain.validate import OrderFacts, TokenConfig, nonce_slot
from pyengine.errors import EngineError

if TYPE_CHECKING:
    from pyengine.chain.client import Web3ChainClient

EIP1271_MAGIC = bytes.fromhex("1626ba7e")
IS_VALID_SIGNATURE = keccak(text="isValidSignature(bytes32,bytes)")[:4]


class FactsError(EngineError, RuntimeError):
    """A read the validation needs failed in a way that is not an order refusal."""


def revert_data(e: Exception) -> bytes | None:
    data = getattr(e, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    return None


class Fn:
    """One contract function's call encoding, read once from the contract's ABI: a web3
    contract function matches and validates the ABI again on every call (about 1 ms of
    the event loop's CPU each), which a poll of every token twice a second cannot afford."""

    def __init__(self, abi: list[dict[str, Any]], name: str) -> None:
        entry: Any = next(e for e in abi if e.get("type") == "function" and e.get("name") == name)
        self.name = name
        self.selector = function_abi_to_4byte_selector(entry)
        self.inputs = get_abi_input_types(entry)
        self.outputs = get_abi_output_types(entry)

    def data(self, *args: Any) -> str:
        return "0x" + (self.selector + abi_encode(self.inputs, list(args))).hex()


class Fns:
    """A contract's `Fn`s by name, each read from the ABI on first use."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self.abi = abi
        self._fns: dict[str, Fn] = {}

    def __getitem__(self, name: str) -> Fn:
        fn = self._fns.get(name)
        if fn is None:
            fn = self._fns[name] = Fn(self.abi, name)
        return fn


class Batch:
    """eth_call reads at one block (a number or a tag such as "pending"), sent as a single
    JSON-RPC batch (one round trip)."""

    def __init__(self, block: int | str) -> None:
        self.block = hex(block) if isinstance(block, int) else block
        self.requests: list[tuple[Any, Any]] = []
        self.decoders: list[list[str] | None] = []

    def add_call(self, to: str, fn: Fn, *args: Any) -> int:
        """`fn(*args)` on the contract at `to`; the answer decodes with `fn`'s outputs."""
        return self._add(("eth_call", [{"to": to, "data": fn.data(*args)}, self.block]), fn.outputs)

    def add_raw(self, method: str, params: list[Any]) -> int:
        return self._add((method, [*params, self.block]), None)

    def _add(self, request: tuple[Any, Any], decoder: list[str] | None) -> int:
        self.requests.append(request)
        self.decoders.append(decoder)
        return len(self.requests) - 1

    async def run(self, c: Web3ChainClient) -> list[Answer]:
        raw = await c.w3.provider.make_batch_request(self.requests)
        if not isinstance(raw, list) or len(raw) != len(self.requests):
            raise FactsError("the node refused the batch")
        return [Answer(r, d) for r, d in zip(raw, self.decoders, strict=True)]


class Answer:
    def __init__(self, response: Any, decoder: list[str] | None) -> None:
        self.error = response.get("error")
        self.result = response.get("result")
        self.decoder = decoder

    @property
    def revert(self) -> bytes | None:
        if not isinstance(self.error, dict):
            return None
        data = self.error.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            try:
                return bytes.fromhex(data[2:])
            except ValueError:
                return None
        return None

    def raw(self) -> bytes:
        if self.error is not None or not isinstance(self.result, str):
            raise FactsError(f"read failed: {self.error}")
        return bytes.fromhex(self.result[2:])

    def value(self, default: Any = None) -> Any:
        """Decoded result; `default` where the read reverted or returned nothing."""
        if self.error is not None and default is not None:
            return default
        out = self.raw()
        if not out and default is not None:
            return default
        assert self.decoder is not None
        decoded = abi_decode(self.decoder, out)
        return decoded[0] if len(decoded) == 1 else decoded


def _nonce_word(order: Order, answer: Answer | None) -> int:
    """The bitmap word at the order's slot (V2 exposes it only through verifyNonce)."""
    if answer is None:
        return 0  # nonce 0: refused by check_nonce whatever the bitmap says
    if answer.error is not None:
        if kind_from_revert(answer.revert or b"") is RefusalKind.INVALID_NONCE:
            return nonce_slot(order.nonce)[1]  # the order's bit is already set
        raise FactsError("verifyNonce failed")
    _, word, _ = answer.value()
    return int(word)


def _eip1271_call(c: Web3ChainClient, order: Order, signature: Signature) -> dict[str, str]:
    digest = order_digest(order, c.domain)
    args = abi_encode(["bytes32", "bytes"], [digest, signature.signature_bytes])
    return {"to": order.benefactor, "data": "0x" + (IS_VALID_SIGNATURE + args).hex()}


async def read_order_facts(
    c: Web3ChainClient, order: Order, signature: Signature, route: Route | None
) -> OrderFacts:
    head = await c.w3.eth.get_block("latest")
    block = int(head["number"])
    m, erc20 = c.minting_fns, c.erc20_fns
    asset, benefactor, minting = order.collateral_asset, order.benefactor, c.minting.address
    usde = c.usde
    signer = None
    if signature.signature_type == SignatureType.EIP712 and order.nonce <= MAX_UINT120:
        signer = recover_signer(order_digest(order, c.domain), signature.signature_bytes)
    wants_1271 = signature.signature_type == SignatureType.EIP1271 and order.nonce <= MAX_UINT120
    addresses = tuple(route.addresses) if route else ()

    b = Batch(block)
    i_cfg = b.add_call(minting, m["tokenConfig"], asset)
    i_code = b.add_raw("eth_getCode", [asset])
    i_dec = b.add_call(asset, erc20["decimals"])
    i_per_asset = b.add_call(minting, m["totalPerBlockPerAsset"], block, asset)
    i_total = b.add_call(minting, m["totalPerBlock"], block)
    i_global = b.add_call(minting, m["globalConfig"])
    i_limit = b.add_call(minting, m["stablesDeltaLimit"])
    i_listed = b.add_call(minting, m["isWhitelistedBenefactor"], benefactor)
    i_approved = b.add_call(minting, m["isApprovedBeneficiary"], benefactor, order.beneficiary)
    i_delegation = b.add_call(minting, m["delegatedSigner"], signer, benefactor) if signer else None
    i_1271 = b.add_raw("eth_call", [_eip1271_call(c, order, signature)]) if wants_1271 else None
    i_custodians = [b.add_call(minting, m["isCustodianAddress"], a) for a in addresses]
    i_nonce = (
        b.add_call(minting, m["verifyNonce"], benefactor, order.nonce) if order.nonce else None
    )
    i_c_bal = b.add_call(asset, erc20["balanceOf"], benefactor)
    i_c_allow = b.add_call(asset, erc20["allowance"], benefactor, minting)
    i_u_bal = b.add_call(usde, erc20["balanceOf"], benefactor)
    i_u_allow = b.add_call(usde, erc20["allowance"], benefactor, minting)
    i_contract_bal = b.add_call(asset, erc20["balanceOf"], minting)
    a = await b.run(c)

    raw_cfg = a[i_cfg].value()
    token = TokenConfig(int(raw_cfg[0]), bool(raw_cfg[1]), int(raw_cfg[2]), int(raw_cfg[3]))
    # An asset that is inactive or not a token is refused before its reads would matter.
    live = token.is_active and len(a[i_code].raw()) > 0

    def token_read(i: int) -> int:
        return int(a[i].value(default=0)) if live else 0

    ok_1271: bool | None = None
    if signature.signature_type == SignatureType.EIP1271:
        out = a[i_1271].raw() if i_1271 is not None and a[i_1271].error is None else b""
        ok_1271 = len(out) == 32 and out[:4] == EIP1271_MAGIC
    per_asset, total, global_cfg = a[i_per_asset].value(), a[i_total].value(), a[i_global].value()
    return OrderFacts(
        domain=c.domain,
        timestamp=int(head["timestamp"]),
        token=token,
        collateral_decimals=token_read(i_dec),
        usde_decimals=await c.usde_decimals(),
        asset_minted=int(per_asset[0]),
        asset_redeemed=int(per_asset[1]),
        global_minted=int(total[0]),
        global_redeemed=int(total[1]),
        global_max_mint=int(global_cfg[0]),
        global_max_redeem=int(global_cfg[1]),
        stables_delta_limit=int(a[i_limit].value()),
        benefactor_whitelisted=bool(a[i_listed].value()),
        beneficiary_approved=bool(a[i_approved].value()),
        delegation_status=int(a[i_delegation].value()) if i_delegation is not None else 0,
        eip1271_valid=ok_1271,
        custodians=frozenset(
            addr for addr, i in zip(addresses, i_custodians, strict=True) if a[i].value()
        ),
        nonce_word=_nonce_word(order, a[i_nonce] if i_nonce is not None else None),
        collateral_balance=token_read(i_c_bal),
        collateral_allowance=token_read(i_c_allow),
        usde_balance=int(a[i_u_bal].value()),
        usde_allowance=int(a[i_u_allow].value()),
        contract_collateral_balance=token_read(i_contract_bal),
    )
