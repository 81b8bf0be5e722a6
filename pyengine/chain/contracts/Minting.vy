# pragma version ~=0.4.3
"""
@title Minting contract of the local chain (ours), with the EthenaMinting V2 ABI
@notice The functions, structs and events that clients call keep the V2 shapes
        (SPEC 4.2): hashOrder, verifyOrder, verifyRoute, verifyNonce, mint, redeem, the
        Mint/Redeem events, the per-asset and global per-block caps, delegated signers,
        the benefactor allow-list and approved beneficiaries. Reverts are 4-byte
        custom-error selectors with the V2 error names. pyengine/chain/validate.py mirrors
        every check, in the same order; the differential test holds them together.
"""

interface IToken:
    def transferFrom(_from: address, _to: address, _value: uint256) -> bool: nonpayable
    def transfer(_to: address, _value: uint256) -> bool: nonpayable
    def balanceOf(_owner: address) -> uint256: view
    def decimals() -> uint8: view
    def mint(_to: address, _value: uint256): nonpayable
    def burnFrom(_from: address, _value: uint256): nonpayable

struct Order:
    order_id: String[128]
    order_type: uint8
    expiry: uint120
    nonce: uint128
    benefactor: address
    beneficiary: address
    collateral_asset: address
    collateral_amount: uint128
    usde_amount: uint128

struct Route:
    addresses: DynArray[address, 16]
    ratios: DynArray[uint128, 16]

struct Signature:
    signature_type: uint8
    signature_bytes: Bytes[1024]

struct TokenConfig:
    tokenType: uint8
    isActive: bool
    maxMintPerBlock: uint128
    maxRedeemPerBlock: uint128

struct BlockTotals:
    mintedPerBlock: uint128
    redeemedPerBlock: uint128

struct GlobalConfig:
    globalMaxMintPerBlock: uint128
    globalMaxRedeemPerBlock: uint128

# Field order as in the V2 ABI file clients ship (minter first, SPEC 4.2).
event Mint:
    minter: address
    order_id: indexed(String[128])
    benefactor: indexed(address)
    beneficiary: indexed(address)
    collateral_asset: address
    collateral_amount: uint256
    usde_amount: uint256

event Redeem:
    redeemer: address
    order_id: indexed(String[128])
    benefactor: indexed(address)
    beneficiary: indexed(address)
    collateral_asset: address
    collateral_amount: uint256
    usde_amount: uint256

event DelegatedSignerInitiated:
    delegateTo: indexed(address)
    delegatedBy: indexed(address)

event DelegatedSignerAdded:
    signer: indexed(address)
    delegator: indexed(address)

event DelegatedSignerRemoved:
    signer: indexed(address)
    delegator: indexed(address)

event BenefactorAdded:
    benefactor: indexed(address)

event BenefactorRemoved:
    benefactor: indexed(address)

event BeneficiaryAdded:
    benefactor: indexed(address)
    beneficiary: indexed(address)

event BeneficiaryRemoved:
    benefactor: indexed(address)
    beneficiary: indexed(address)

# Note the V2 type string says `uint128 expiry,uint120 nonce` while the struct carries
# uint120 expiry and uint128 nonce: the digest follows the type string (SPEC 4.2), so a
# nonce wider than 120 bits has no digest and is refused as InvalidNonce.
ORDER_TYPEHASH: constant(bytes32) = keccak256("Order(string order_id,uint8 order_type,uint128 expiry,uint120 nonce,address benefactor,address beneficiary,address collateral_asset,uint128 collateral_amount,uint128 usde_amount)")
DOMAIN_TYPEHASH: constant(bytes32) = keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
DOMAIN_NAME_HASH: constant(bytes32) = keccak256("EthenaMinting")
DOMAIN_VERSION_HASH: constant(bytes32) = keccak256("1")

DEFAULT_ADMIN_ROLE: public(constant(bytes32)) = empty(bytes32)
MINTER_ROLE: constant(bytes32) = keccak256("MINTER_ROLE")
REDEEMER_ROLE: constant(bytes32) = keccak256("REDEEMER_ROLE")
GATEKEEPER_ROLE: constant(bytes32) = keccak256("GATEKEEPER_ROLE")

ORDER_MINT: constant(uint8) = 0
ORDER_REDEEM: constant(uint8) = 1
SIG_EIP712: constant(uint8) = 0
SIG_EIP1271: constant(uint8) = 1
TOKEN_STABLE: constant(uint8) = 0
DELEGATE_PENDING: constant(uint8) = 1
DELEGATE_ACCEPTED: constant(uint8) = 2
ROUTE_TOTAL_BPS: constant(uint256) = 10000
STABLES_BPS: constant(uint256) = 10000
LOW_64_BITS: constant(uint256) = 18446744073709551615
NONCE_LIMIT: constant(uint128) = 1329227995784915872903807060280344576  # 2**120
# Half the secp256k1 order: a high-s signature is malleable and refused (EIP-2).
HALF_N: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168
EIP1271_MAGIC: constant(bytes4) = 0x1626ba7e

usde: public(address)
stablesDeltaLimit: public(uint128)
globalConfig: public(GlobalConfig)
tokenConfig: public(HashMap[address, TokenConfig])
totalPerBlock: public(HashMap[uint256, BlockTotals])
totalPerBlockPerAsset: public(HashMap[uint256, HashMap[address, BlockTotals]])
delegatedSigner: public(HashMap[address, HashMap[address, uint8]])
roles: HashMap[bytes32, HashMap[address, bool]]
whitelisted: HashMap[address, bool]
approvedBeneficiary: HashMap[address, HashMap[address, bool]]
custodian: HashMap[address, bool]
orderBitmaps: HashMap[address, HashMap[uint256, uint256]]
deployChainId: uint256
deployDomainSeparator: bytes32


@deploy
def __init__(
    _usde: address,
    _assets: DynArray[address, 16],
    _configs: DynArray[TokenConfig, 16],
    _global: GlobalConfig,
    _custodians: DynArray[address, 16],
    _admin: address,
):
    assert len(_assets) == len(_configs) and len(_assets) > 0
    self.usde = _usde
    self.roles[DEFAULT_ADMIN_ROLE][_admin] = True
    self.roles[DEFAULT_ADMIN_ROLE][msg.sender] = True
    for i: uint256 in range(16):
        if i >= len(_assets):
            break
        cfg: TokenConfig = _configs[i]
        cfg.isActive = True
        self.tokenConfig[_assets[i]] = cfg
    for c: address in _custodians:
        self.custodian[c] = True
    self.globalConfig = _global
    self.deployChainId = chain.id
    self.deployDomainSeparator = self._compute_domain_separator()


@view
@internal
def _compute_domain_separator() -> bytes32:
    return keccak256(abi_encode(DOMAIN_TYPEHASH, DOMAIN_NAME_HASH, DOMAIN_VERSION_HASH, chain.id, self))


@view
@external
def getDomainSeparator() -> bytes32:
    return self._domain_separator()


@view
@internal
def _domain_separator() -> bytes32:
    # Recomputed after a fork changes the chain id, so a signature cannot be replayed.
    if chain.id == self.deployChainId:
        return self.deployDomainSeparator
    return self._compute_domain_separator()


@view
@internal
def _only(role: bytes32):
    if not self.roles[role][msg.sender]:
        raw_revert(method_id("AccessControlUnauthorizedAccount()", output_type=Bytes[4]))


@view
@external
def hasRole(role: bytes32, account: address) -> bool:
    return self.roles[role][account]


@external
def grantRole(role: bytes32, account: address):
    self._only(DEFAULT_ADMIN_ROLE)
    self.roles[role][account] = True


@external
def revokeRole(role: bytes32, account: address):
    self._only(DEFAULT_ADMIN_ROLE)
    self.roles[role][account] = False


@pure
@internal
def _encode_order(order: Order) -> Bytes[320]:
    # An order whose nonce does not fit the type string's uint120 is no EIP-712 message of
    # that type: it has no encoding (eth-account refuses to encode it too).
    if order.nonce >= NONCE_LIMIT:
        raw_revert(method_id("InvalidNonce()", output_type=Bytes[4]))
    return abi_encode(
        ORDER_TYPEHASH,
        keccak256(order.order_id),
        order.order_type,
        order.expiry,
        order.nonce,
        order.benefactor,
        order.beneficiary,
        order.collateral_asset,
        order.collateral_amount,
        order.usde_amount,
    )


@pure
@external
def encodeOrder(order: Order) -> Bytes[320]:
    return self._encode_order(order)


@view
@internal
def _hash_order(order: Order) -> bytes32:
    struct_hash: bytes32 = keccak256(self._encode_order(order))
    return keccak256(concat(x"1901", self._domain_separator(), struct_hash))


@view
@external
def hashOrder(order: Order) -> bytes32:
    return self._hash_order(order)


@pure
@internal
def _recover(digest: bytes32, sig: Bytes[1024]) -> address:
    if len(sig) != 65:
        return empty(address)
    r: uint256 = extract32(sig, 0, output_type=uint256)
    s: uint256 = extract32(sig, 32, output_type=uint256)
    v: uint256 = convert(slice(sig, 64, 1), uint256)
    if s > HALF_N or (v != 27 and v != 28):
        return empty(address)
    return ecrecover(digest, v, r, s)


@view
@internal
def _eip1271_ok(wallet: address, digest: bytes32, sig: Bytes[1024]) -> bool:
    if not wallet.is_contract:
        return False
    ok: bool = False
    resp: Bytes[32] = b""
    ok, resp = raw_call(
        wallet,
        abi_encode(digest, sig, method_id=method_id("isValidSignature(bytes32,bytes)")),
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    if not ok or len(resp) != 32:
        return False
    return convert(slice(resp, 0, 4), bytes4) == EIP1271_MAGIC


@view
@internal
def _stables_ok(collateralAmount: uint128, usdeAmount: uint128, collateralAsset: address, orderType: uint8) -> bool:
    # SPEC 4.2 stables limit, in 256-bit arithmetic: only the side adverse to us is bounded.
    usde_dec: uint256 = convert(staticcall IToken(self.usde).decimals(), uint256)
    coll_dec: uint256 = convert(staticcall IToken(collateralAsset).decimals(), uint256)
    coll: uint256 = convert(collateralAmount, uint256)
    usde: uint256 = convert(usdeAmount, uint256)
    norm: uint256 = coll
    if usde_dec > coll_dec:
        norm = coll * 10 ** (usde_dec - coll_dec)
    elif coll_dec > usde_dec:
        norm = coll // 10 ** (coll_dec - usde_dec)
    diff: uint256 = 0
    if norm > usde:
        diff = norm - usde
    else:
        diff = usde - norm
    diff_bps: uint256 = diff * STABLES_BPS // usde
    limit: uint256 = convert(self.stablesDeltaLimit, uint256)
    if orderType == ORDER_MINT:
        return usde <= norm or diff_bps <= limit
    return norm <= usde or diff_bps <= limit


@view
@external
def verifyStablesLimit(collateralAmount: uint128, usdeAmount: uint128, collateralAsset: address, orderType: uint8) -> bool:
    if usdeAmount == 0:
        raw_revert(method_id("InvalidAmount()", output_type=Bytes[4]))
    return self._stables_ok(collateralAmount, usdeAmount, collateralAsset, orderType)


@view
@internal
def _verify_order(order: Order, signature: Signature) -> bytes32:
    digest: bytes32 = self._hash_order(order)
    if signature.signature_type == SIG_EIP712:
        signer: address = self._recover(digest, signature.signature_bytes)
        if signer == empty(address) or not (
            signer == order.benefactor
            or self.delegatedSigner[signer][order.benefactor] == DELEGATE_ACCEPTED
        ):
            raw_revert(method_id("InvalidEIP712Signature()", output_type=Bytes[4]))
    elif signature.signature_type == SIG_EIP1271:
        if not self._eip1271_ok(order.benefactor, digest, signature.signature_bytes):
            raw_revert(method_id("InvalidEIP1271Signature()", output_type=Bytes[4]))
    else:
        raw_revert(method_id("UnknownSignatureType()", output_type=Bytes[4]))
    if not self.whitelisted[order.benefactor]:
        raw_revert(method_id("BenefactorNotWhitelisted()", output_type=Bytes[4]))
    if order.benefactor != order.beneficiary and not self.approvedBeneficiary[order.benefactor][order.beneficiary]:
        raw_revert(method_id("BeneficiaryNotApproved()", output_type=Bytes[4]))
    if order.beneficiary == empty(address):
        raw_revert(method_id("InvalidAddress()", output_type=Bytes[4]))
    if order.collateral_amount == 0 or order.usde_amount == 0:
        raw_revert(method_id("InvalidAmount()", output_type=Bytes[4]))
    cfg: TokenConfig = self.tokenConfig[order.collateral_asset]
    if cfg.isActive and cfg.tokenType == TOKEN_STABLE and not self._stables_ok(
        order.collateral_amount, order.usde_amount, order.collateral_asset, order.order_type
    ):
        raw_revert(method_id("InvalidStablePrice()", output_type=Bytes[4]))
    if block.timestamp > convert(order.expiry, uint256):
        raw_revert(method_id("SignatureExpired()", output_type=Bytes[4]))
    return digest


@view
@external
def verifyOrder(order: Order, signature: Signature) -> bytes32:
    return self._verify_order(order, signature)


@view
@internal
def _verify_route(route: Route) -> bool:
    n: uint256 = len(route.addresses)
    if n == 0 or n != len(route.ratios):
        return False
    total: uint256 = 0
    for i: uint256 in range(16):
        if i >= n:
            break
        a: address = route.addresses[i]
        if a == empty(address) or not self.custodian[a] or route.ratios[i] == 0:
            return False
        total += convert(route.ratios[i], uint256)
    return total == ROUTE_TOTAL_BPS


@view
@external
def verifyRoute(route: Route) -> bool:
    return self._verify_route(route)


@view
@internal
def _nonce_slot(sender: address, nonce: uint128) -> (uint256, uint256, uint256):
    # SPEC 4.2: slot = uint64(nonce) >> 8, bit = 1 << uint8(nonce); only the low 64 bits count.
    if nonce == 0:
        raw_revert(method_id("InvalidNonce()", output_type=Bytes[4]))
    low: uint256 = convert(nonce, uint256) & LOW_64_BITS
    slot: uint256 = low >> 8
    bit: uint256 = 1 << (low & 255)
    word: uint256 = self.orderBitmaps[sender][slot]
    if word & bit != 0:
        raw_revert(method_id("InvalidNonce()", output_type=Bytes[4]))
    return slot, word, bit


@view
@external
def verifyNonce(sender: address, nonce: uint128) -> (uint128, uint256, uint256):
    slot: uint256 = 0
    word: uint256 = 0
    bit: uint256 = 0
    slot, word, bit = self._nonce_slot(sender, nonce)
    return convert(slot, uint128), word, bit


@view
@internal
def _check_caps(asset: address, amount: uint128, is_mint: bool):
    cfg: TokenConfig = self.tokenConfig[asset]
    if not cfg.isActive:
        raw_revert(method_id("UnsupportedAsset()", output_type=Bytes[4]))
    per_asset: BlockTotals = self.totalPerBlockPerAsset[block.number][asset]
    total: BlockTotals = self.totalPerBlock[block.number]
    amt: uint256 = convert(amount, uint256)
    if is_mint:
        if convert(per_asset.mintedPerBlock, uint256) + amt > convert(cfg.maxMintPerBlock, uint256):
            raw_revert(method_id("MaxMintPerBlockExceeded()", output_type=Bytes[4]))
        if convert(total.mintedPerBlock, uint256) + amt > convert(self.globalConfig.globalMaxMintPerBlock, uint256):
            raw_revert(method_id("GlobalMaxMintPerBlockExceeded()", output_type=Bytes[4]))
    else:
        if convert(per_asset.redeemedPerBlock, uint256) + amt > convert(cfg.maxRedeemPerBlock, uint256):
            raw_revert(method_id("MaxRedeemPerBlockExceeded()", output_type=Bytes[4]))
        if convert(total.redeemedPerBlock, uint256) + amt > convert(self.globalConfig.globalMaxRedeemPerBlock, uint256):
            raw_revert(method_id("GlobalMaxRedeemPerBlockExceeded()", output_type=Bytes[4]))


@nonreentrant
@external
def mint(order: Order, route: Route, signature: Signature):
    self._only(MINTER_ROLE)
    self._check_caps(order.collateral_asset, order.usde_amount, True)
    if order.order_type != ORDER_MINT:
        raw_revert(method_id("InvalidOrder()", output_type=Bytes[4]))
    self._verify_order(order, signature)
    if not self._verify_route(route):
        raw_revert(method_id("InvalidRoute()", output_type=Bytes[4]))
    slot: uint256 = 0
    word: uint256 = 0
    bit: uint256 = 0
    slot, word, bit = self._nonce_slot(order.benefactor, order.nonce)
    self.orderBitmaps[order.benefactor][slot] = word | bit
    self.totalPerBlockPerAsset[block.number][order.collateral_asset].mintedPerBlock += order.usde_amount
    self.totalPerBlock[block.number].mintedPerBlock += order.usde_amount
    # SPEC 4.2 route split: floor(amount x ratio / 10000) each, the remainder to the last.
    amount: uint256 = convert(order.collateral_amount, uint256)
    sent: uint256 = 0
    n: uint256 = len(route.addresses)
    for i: uint256 in range(16):
        if i >= n:
            break
        share: uint256 = amount * convert(route.ratios[i], uint256) // ROUTE_TOTAL_BPS
        if i == n - 1:
            share = amount - sent
        sent += share
        extcall IToken(order.collateral_asset).transferFrom(order.benefactor, route.addresses[i], share)
    extcall IToken(self.usde).mint(order.beneficiary, convert(order.usde_amount, uint256))
    log Mint(
        minter=msg.sender,
        order_id=order.order_id,
        benefactor=order.benefactor,
        beneficiary=order.beneficiary,
        collateral_asset=order.collateral_asset,
        collateral_amount=convert(order.collateral_amount, uint256),
        usde_amount=convert(order.usde_amount, uint256),
    )


@nonreentrant
@external
def redeem(order: Order, signature: Signature):
    self._only(REDEEMER_ROLE)
    self._check_caps(order.collateral_asset, order.usde_amount, False)
    if order.order_type != ORDER_REDEEM:
        raw_revert(method_id("InvalidOrder()", output_type=Bytes[4]))
    self._verify_order(order, signature)
    slot: uint256 = 0
    word: uint256 = 0
    bit: uint256 = 0
    slot, word, bit = self._nonce_slot(order.benefactor, order.nonce)
    self.orderBitmaps[order.benefactor][slot] = word | bit
    self.totalPerBlockPerAsset[block.number][order.collateral_asset].redeemedPerBlock += order.usde_amount
    self.totalPerBlock[block.number].redeemedPerBlock += order.usde_amount
    extcall IToken(self.usde).burnFrom(order.benefactor, convert(order.usde_amount, uint256))
    amount: uint256 = convert(order.collateral_amount, uint256)
    if staticcall IToken(order.collateral_asset).balanceOf(self) < amount:
        raw_revert(method_id("InsufficientContractBalance()", output_type=Bytes[4]))
    extcall IToken(order.collateral_asset).transfer(order.beneficiary, amount)
    log Redeem(
        redeemer=msg.sender,
        order_id=order.order_id,
        benefactor=order.benefactor,
        beneficiary=order.beneficiary,
        collateral_asset=order.collateral_asset,
        collateral_amount=amount,
        usde_amount=convert(order.usde_amount, uint256),
    )


@external
def setDelegatedSigner(_delegateTo: address):
    self.delegatedSigner[_delegateTo][msg.sender] = DELEGATE_PENDING
    log DelegatedSignerInitiated(delegateTo=_delegateTo, delegatedBy=msg.sender)


@external
def confirmDelegatedSigner(_delegatedBy: address):
    if self.delegatedSigner[msg.sender][_delegatedBy] != DELEGATE_PENDING:
        raw_revert(method_id("DelegationNotInitiated()", output_type=Bytes[4]))
    self.delegatedSigner[msg.sender][_delegatedBy] = DELEGATE_ACCEPTED
    log DelegatedSignerAdded(signer=msg.sender, delegator=_delegatedBy)


@external
def removeDelegatedSigner(_removedSigner: address):
    self.delegatedSigner[_removedSigner][msg.sender] = 0
    log DelegatedSignerRemoved(signer=_removedSigner, delegator=msg.sender)


@external
def addWhitelistedBenefactor(benefactor: address):
    self._only(DEFAULT_ADMIN_ROLE)
    if benefactor == empty(address) or self.whitelisted[benefactor]:
        raw_revert(method_id("InvalidBenefactorAddress()", output_type=Bytes[4]))
    self.whitelisted[benefactor] = True
    log BenefactorAdded(benefactor=benefactor)


@external
def removeWhitelistedBenefactor(benefactor: address):
    self._only(DEFAULT_ADMIN_ROLE)
    if not self.whitelisted[benefactor]:
        raw_revert(method_id("InvalidAddress()", output_type=Bytes[4]))
    self.whitelisted[benefactor] = False
    log BenefactorRemoved(benefactor=benefactor)


@external
def setApprovedBeneficiary(beneficiary: address, status: bool):
    # Only the benefactor itself approves where its USDe or collateral may go.
    if self.approvedBeneficiary[msg.sender][beneficiary] == status:
        raw_revert(method_id("InvalidBeneficiaryAddress()", output_type=Bytes[4]))
    self.approvedBeneficiary[msg.sender][beneficiary] = status
    if status:
        log BeneficiaryAdded(benefactor=msg.sender, beneficiary=beneficiary)
    else:
        log BeneficiaryRemoved(benefactor=msg.sender, beneficiary=beneficiary)


@view
@external
def isWhitelistedBenefactor(benefactor: address) -> bool:
    return self.whitelisted[benefactor]


@view
@external
def isApprovedBeneficiary(benefactor: address, beneficiary: address) -> bool:
    return self.approvedBeneficiary[benefactor][beneficiary]


@view
@external
def isCustodianAddress(custodian: address) -> bool:
    return self.custodian[custodian]


@view
@external
def isSupportedAsset(asset: address) -> bool:
    return self.tokenConfig[asset].isActive


@external
def addCustodianAddress(custodian: address):
    self._only(DEFAULT_ADMIN_ROLE)
    if custodian == empty(address) or custodian == self.usde or self.custodian[custodian]:
        raw_revert(method_id("InvalidCustodianAddress()", output_type=Bytes[4]))
    self.custodian[custodian] = True


@external
def removeCustodianAddress(custodian: address):
    self._only(DEFAULT_ADMIN_ROLE)
    if not self.custodian[custodian]:
        raw_revert(method_id("InvalidCustodianAddress()", output_type=Bytes[4]))
    self.custodian[custodian] = False


@external
def setMaxMintPerBlock(_maxMintPerBlock: uint128, asset: address):
    self._only(DEFAULT_ADMIN_ROLE)
    self.tokenConfig[asset].maxMintPerBlock = _maxMintPerBlock


@external
def setMaxRedeemPerBlock(_maxRedeemPerBlock: uint128, asset: address):
    self._only(DEFAULT_ADMIN_ROLE)
    self.tokenConfig[asset].maxRedeemPerBlock = _maxRedeemPerBlock


@external
def setGlobalMaxMintPerBlock(_globalMaxMintPerBlock: uint128):
    self._only(DEFAULT_ADMIN_ROLE)
    self.globalConfig.globalMaxMintPerBlock = _globalMaxMintPerBlock


@external
def setGlobalMaxRedeemPerBlock(_globalMaxRedeemPerBlock: uint128):
    self._only(DEFAULT_ADMIN_ROLE)
    self.globalConfig.globalMaxRedeemPerBlock = _globalMaxRedeemPerBlock


@external
def disableMintRedeem():
    self._only(GATEKEEPER_ROLE)
    self.globalConfig.globalMaxMintPerBlock = 0
    self.globalConfig.globalMaxRedeemPerBlock = 0


@external
def removeMinterRole(minter: address):
    # SPEC 4.2: the gatekeeper strips a (possibly stolen) minter key without the admin.
    self._only(GATEKEEPER_ROLE)
    self.roles[MINTER_ROLE][minter] = False


@external
def removeRedeemerRole(redeemer: address):
    self._only(GATEKEEPER_ROLE)
    self.roles[REDEEMER_ROLE][redeemer] = False


@external
def setStablesDeltaLimit(_stablesDeltaLimit: uint128):
    self._only(DEFAULT_ADMIN_ROLE)
    self.stablesDeltaLimit = _stablesDeltaLimit


@external
def setTokenType(asset: address, tokenType: uint8):
    self._only(DEFAULT_ADMIN_ROLE)
    if not self.tokenConfig[asset].isActive:
        raw_revert(method_id("UnsupportedAsset()", output_type=Bytes[4]))
    self.tokenConfig[asset].tokenType = tokenType
