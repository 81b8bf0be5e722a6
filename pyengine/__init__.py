"""pyengine: the hedging engine behind a delta-neutral synthetic dollar.

Python owns I/O, time and sockets; the exact, fast parts (books, venue rules, contract
math, risk checks) live in the Rust extension `pyengine._core`.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
