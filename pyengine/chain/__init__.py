"""The chain side of the front door: signed V2 orders, their validation, the chain client
and the embedded local chain (py-evm through eth-tester, our Vyper minting contract)."""
