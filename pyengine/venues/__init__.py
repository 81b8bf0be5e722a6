"""Venue and custodian clients: live (websocket/REST), recorded replay, and simulated.

Every client, whatever its kind, implements the protocols in `pyengine.venues.base`, so
the rest of the engine cannot tell a simulated venue from a live one.
"""
