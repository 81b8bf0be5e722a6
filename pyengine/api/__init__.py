"""The RFQ HTTP API (Litestar on uvicorn, in the engine's loop): the rfq actor's I/O."""
