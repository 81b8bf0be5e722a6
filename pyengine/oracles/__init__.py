"""Oracle clients (Pyth Hermes, RedStone): pure parsers and verifiers plus thin aiohttp clients."""
