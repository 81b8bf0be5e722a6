# pragma version ~=0.4.3
"""
@title ERC-20 token for the local chain
@notice Collateral tokens (minter = the deployer's faucet) and USDe (minter = the minting
        contract, so nothing else can mint it). Reverts carry 4-byte custom-error selectors
        so that a client decodes them as it decodes the OpenZeppelin-style errors of mainnet.
"""

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256

name: public(String[32])
symbol: public(String[16])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
owner: public(address)
minter: public(address)


@deploy
def __init__(_name: String[32], _symbol: String[16], _decimals: uint8):
    self.name = _name
    self.symbol = _symbol
    self.decimals = _decimals
    self.owner = msg.sender
    self.minter = msg.sender


@external
def setMinter(_minter: address):
    if msg.sender != self.owner:
        raw_revert(method_id("Unauthorized()", output_type=Bytes[4]))
    self.minter = _minter


@internal
def _transfer(_from: address, _to: address, _value: uint256):
    if _to == empty(address):
        raw_revert(method_id("InvalidReceiver()", output_type=Bytes[4]))
    if self.balanceOf[_from] < _value:
        raw_revert(method_id("InsufficientBalance()", output_type=Bytes[4]))
    self.balanceOf[_from] -= _value
    self.balanceOf[_to] += _value
    log Transfer(sender=_from, receiver=_to, value=_value)


@internal
def _spend(_owner: address, _spender: address, _value: uint256):
    current: uint256 = self.allowance[_owner][_spender]
    if current == max_value(uint256):
        return
    if current < _value:
        raw_revert(method_id("InsufficientAllowance()", output_type=Bytes[4]))
    self.allowance[_owner][_spender] = current - _value


@external
def transfer(_to: address, _value: uint256) -> bool:
    self._transfer(msg.sender, _to, _value)
    return True


@external
def transferFrom(_from: address, _to: address, _value: uint256) -> bool:
    self._spend(_from, msg.sender, _value)
    self._transfer(_from, _to, _value)
    return True


@external
def approve(_spender: address, _value: uint256) -> bool:
    self.allowance[msg.sender][_spender] = _value
    log Approval(owner=msg.sender, spender=_spender, value=_value)
    return True


@external
def mint(_to: address, _value: uint256):
    if msg.sender != self.minter:
        raw_revert(method_id("Unauthorized()", output_type=Bytes[4]))
    if _to == empty(address):
        raw_revert(method_id("InvalidReceiver()", output_type=Bytes[4]))
    self.totalSupply += _value
    self.balanceOf[_to] += _value
    log Transfer(sender=empty(address), receiver=_to, value=_value)


@internal
def _burn(_from: address, _value: uint256):
    if self.balanceOf[_from] < _value:
        raw_revert(method_id("InsufficientBalance()", output_type=Bytes[4]))
    self.balanceOf[_from] -= _value
    self.totalSupply -= _value
    log Transfer(sender=_from, receiver=empty(address), value=_value)


@external
def burn(_value: uint256):
    self._burn(msg.sender, _value)


@external
def burnFrom(_from: address, _value: uint256):
    # Redeem burns the benefactor's USDe through its allowance to the minting contract.
    self._spend(_from, msg.sender, _value)
    self._burn(_from, _value)
