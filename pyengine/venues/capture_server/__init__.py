"""Local venue servers that replay real captures, for tests and for operators.

`pyengine serve-capture` starts one: a feed (or the whole engine, by config) then connects
to it exactly as it would to the venue, so a capture can be rehearsed end to end offline.
The server is `server.ReplayServer` (with `server.Faults`); it is not imported here, so that
registering the command does not load aiohttp and websockets for every `pyengine` command.
"""
