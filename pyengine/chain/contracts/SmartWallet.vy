# pragma version ~=0.4.3
"""
@title Minimal EIP-1271 wallet (tests and examples)
@notice A contract benefactor: it approves tokens like any holder and accepts a digest
        signed by its owner key, answering isValidSignature with the magic 0x1626ba7e.
"""

interface IToken:
    def approve(_spender: address, _value: uint256) -> bool: nonpayable

HALF_N: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168

owner: public(address)


@deploy
def __init__(_owner: address):
    self.owner = _owner


@view
@external
def isValidSignature(_hash: bytes32, _signature: Bytes[1024]) -> bytes4:
    if len(_signature) != 65:
        return 0xffffffff
    r: uint256 = extract32(_signature, 0, output_type=uint256)
    s: uint256 = extract32(_signature, 32, output_type=uint256)
    v: uint256 = convert(slice(_signature, 64, 1), uint256)
    if s > HALF_N or (v != 27 and v != 28):
        return 0xffffffff
    if ecrecover(_hash, v, r, s) != self.owner or self.owner == empty(address):
        return 0xffffffff
    return 0x1626ba7e


@external
def approveToken(_token: address, _spender: address, _value: uint256):
    assert msg.sender == self.owner
    extcall IToken(_token).approve(_spender, _value)


@external
def call(_target: address, _data: Bytes[1024]):
    # Lets the owner act as the wallet (setApprovedBeneficiary, setDelegatedSigner, ...).
    assert msg.sender == self.owner
    raw_call(_target, _data)
