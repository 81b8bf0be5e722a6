"""Local stand-ins for the venues: websocket and REST servers that replay real captures."""
