"""Where every actor of the engine listens: its PUB, its mailbox, its reliable prefixes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PeerAddress:
    """One actor's endpoints and the critical topics it takes through its mailbox."""

    name: str
    pub: str
    mailbox: str
    reliable: tuple[str, ...] = ()
    process: str = "main"


class Directory:
    """All actors of one engine, the same in every process (built from the same config)."""

    def __init__(self, peers: Iterable[PeerAddress]) -> None:
        self.peers: dict[str, PeerAddress] = {}
        for peer in peers:
            if peer.name in self.peers:
                raise ValueError(f"two actors named {peer.name!r}")
            self.peers[peer.name] = peer
        self._routes: dict[str, tuple[PeerAddress, ...]] = {}

    def __getitem__(self, name: str) -> PeerAddress:
        return self.peers[name]

    def __contains__(self, name: object) -> bool:
        return name in self.peers

    def add(self, peer: PeerAddress) -> None:
        """Add or replace one actor (clears the routing cache)."""
        self.peers[peer.name] = peer
        self._routes.clear()

    def pubs(self, exclude: str = "") -> list[str]:
        """Every PUB endpoint but `exclude`'s."""
        return [p.pub for p in self.peers.values() if p.name != exclude]

    def reliable_for(self, topic: str) -> tuple[PeerAddress, ...]:
        """Actors whose mailbox takes critical messages on `topic`."""
        hit = self._routes.get(topic)
        if hit is None:
            hit = tuple(
                p for p in self.peers.values() if any(topic.startswith(r) for r in p.reliable)
            )
            self._routes[topic] = hit
        return hit
