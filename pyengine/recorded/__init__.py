"""Recorded venue data, in one place: reading captures, replaying them, serving them.

- `captures`: the capture file formats (cryptofeed JSONL, hftbacktest lines, raw JSONL).
- `replay`: `pyengine replay`, a capture through the real normalisers, counters printed.
- `source`: `RecordedSource`, a capture as a feed actor's market-data connection.
- `server` (`server_rules`, `serve`): a local venue that replays a capture over websocket
  and REST, for tests and `pyengine serve-capture` rehearsals. Development tooling: the
  engine never starts it. `server` is not imported here, so registering the command does
  not load aiohttp and websockets for every `pyengine` command.

The simulator's looped market (`pyengine.sim.market.CaptureMarket`) reads captures from
here too.
"""
