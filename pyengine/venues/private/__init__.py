"""Private streams of Binance USD-M, Bybit v5 and OKX v5: parsers (raw bytes -> normalised
account events, exact `Decimal`s), request signing, and the authenticated stream client."""
