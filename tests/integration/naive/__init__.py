"""Independent, deliberately naive order-book models (plain dicts) per venue.

Each module exposes ``naive_books(path) -> {book key: (bids best-first, asks best-first)}``
built straight from a capture file, with no code shared with the engine, so the
end-to-end replay test compares the Rust books against a second implementation.
"""
