"""Validator thresholds (docs/market-data-validity.md): defaults, per-instrument overrides, oracle
mapping."""

from __future__ import annotations

from decimal import Decimal

import msgspec


class Thresholds(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The limits one instrument is judged by (all times in milliseconds)."""

    stale_ms: int = 2_000
    """Data older than this (lag) makes the instrument invalid."""
    tol_bps: Decimal = Decimal(100)
    """Largest |mid - oracle| / oracle in basis points: wide enough for fast markets."""
    suspend_ms: int = 5_000
    """Lag above this suspends the instrument."""
    resume_ms: int = 1_000
    """A suspended instrument resumes only after lag stays below this ..."""
    resume_hold_ms: int = 10_000
    """... continuously for this long (and a fresh oracle throughout)."""

    def __post_init__(self) -> None:
        if not 0 < self.resume_ms < self.suspend_ms:
            raise ValueError(
                f"need 0 < resume_ms ({self.resume_ms}) < suspend_ms ({self.suspend_ms})"
            )
        if not 0 < self.stale_ms <= self.suspend_ms:
            raise ValueError(f"need 0 < stale_ms ({self.stale_ms}) <= suspend_ms")
        if self.resume_hold_ms < 0:
            raise ValueError("resume_hold_ms must be >= 0")
        if self.tol_bps <= 0:
            raise ValueError("tol_bps must be > 0")


class ThresholdOverride(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Per-instrument changes to the defaults; unset fields keep the default."""

    stale_ms: int | None = None
    tol_bps: Decimal | None = None
    suspend_ms: int | None = None
    resume_ms: int | None = None
    resume_hold_ms: int | None = None


class ValidatorConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """`[actors.options]` of the validator.

    `overrides` keys are `"<venue>.<symbol>"` (most specific), `"<symbol>"` or `"<venue>"`.
    `assets` maps a venue symbol to the oracle symbol(s) it is checked against: `"BTC"`
    (mid vs the BTC oracle) or `"BTC/USDT"` (mid vs BTC oracle / USDT oracle, for
    USDT-quoted contracts); symbols not listed are inferred (`infer_asset`).
    """

    defaults: Thresholds = Thresholds()
    overrides: dict[str, ThresholdOverride] = {}
    assets: dict[str, str] = {}
    oracle_sources: list[str] = msgspec.field(default_factory=lambda: ["pyth", "redstone"])
    oracle_max_age_ms: dict[str, int] = msgspec.field(
        default_factory=lambda: {"pyth": 10_000, "redstone": 60_000}
    )
    """How old (by its publish time) an oracle price may be and still count as fresh."""
    oracle_default_max_age_ms: int = 30_000
    base_lookback_ms: int = 100
    max_lookback_ms: int = 5_000
    """The look-back never grows past this (a venue whose clock is that far off is suspended)."""
    drift_window: int = 512
    """Samples of ts_recv - ts_event kept per venue for the drift estimate."""
    drift_min_samples: int = 16
    refresh_ms: int = 1_000
    """Every instrument's validity is republished at least this often."""
    start_suspended: bool = True
    """A newly seen instrument starts suspended and must pass the resume hold first."""
    timer_interval_s: float = 0.05

    def __post_init__(self) -> None:
        if self.base_lookback_ms < 0 or self.max_lookback_ms < self.base_lookback_ms:
            raise ValueError("need 0 <= base_lookback_ms <= max_lookback_ms")
        if self.drift_window < 1 or self.drift_min_samples < 1:
            raise ValueError("drift_window and drift_min_samples must be >= 1")
        if self.refresh_ms <= 0 or self.timer_interval_s <= 0:
            raise ValueError("refresh_ms and timer_interval_s must be > 0")
        for key, o in self.overrides.items():
            try:
                apply_override(self.defaults, o)
            except ValueError as exc:
                raise ValueError(f"overrides[{key!r}]: {exc}") from None

    def thresholds(self, venue: str, symbol: str) -> Thresholds:
        """The thresholds of one instrument: defaults, then venue, symbol, venue.symbol."""
        out = self.defaults
        for key in (venue, symbol, f"{venue}.{symbol}"):
            o = self.overrides.get(key)
            if o is not None:
                out = apply_override(out, o)
        return out

    def oracle_assets(self, symbol: str) -> tuple[str, str]:
        """(base, quote) oracle symbols for a venue symbol; quote "" means USD."""
        spec = self.assets.get(symbol) or infer_asset(symbol)
        base, _, quote = spec.partition("/")
        return base, quote

    def max_age_ms(self, source: str) -> int:
        return self.oracle_max_age_ms.get(source, self.oracle_default_max_age_ms)


def apply_override(base: Thresholds, o: ThresholdOverride) -> Thresholds:
    """`base` with the set fields of `o`; `ValueError` if the result is inconsistent."""
    changes = {f: getattr(o, f) for f in o.__struct_fields__ if getattr(o, f) is not None}
    if not changes:
        return base
    merged = {f: getattr(base, f) for f in base.__struct_fields__} | changes
    return Thresholds(**merged)


_QUOTES = ("USDT", "USDC", "USD", "PERP", "SWAP", "PERPETUAL")
_ALIASES = {"XBT": "BTC"}


def infer_asset(symbol: str) -> str:
    """The oracle symbol a venue symbol prices: BTCUSDT, BTCUSD_PERP, BTC-USD-SWAP,
    BTC-PERPETUAL and XBTUSD all give BTC (USD-quoted; configure `assets` for USDT-quoted
    contracts to be checked against USDT/USD as well)."""
    s = symbol.upper()
    for sep in ("-", "_", "/"):
        if sep in s:
            s = s.split(sep, 1)[0]
            break
    for q in _QUOTES:
        if s.endswith(q) and len(s) > len(q):
            s = s[: -len(q)]
            break
    return _ALIASES.get(s, s)
