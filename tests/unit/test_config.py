from __future__ import annotations

from pathlib import Path

import pytest

from pyengine.config import load_config, parse_config
from pyengine.errors import ConfigError
from pyengine.runtime.embedded import embedded_config


def test_default_is_embedded_inproc_sqlite() -> None:
    cfg = embedded_config()
    assert cfg.bus.transport == "inproc"
    assert cfg.store.url.startswith("sqlite:///")
    assert cfg.processes() == ["main"]
    assert {a.kind for a in cfg.actors} >= {"recorder", "monitor", "risk"}
    assert cfg.control_endpoint.startswith("ipc://")


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        ({"bus": {"pub_hwm": "lots"}}, "bus.pub_hwm"),
        ({"bus": {"pub_hwm": 0}}, "bus.pub_hwm"),
        ({"bus": {"transport": "udp"}}, "bus.transport"),
        ({"bus": {"typo_key": 1}}, "bus.typo_key"),
        ({"nonsense": 1}, "nonsense"),
        ({"actors": [{"name": "a"}]}, "actors[0]"),
        ({"actors": [{"name": "a", "kind": "k", "process": "p"}]}, "actors[0].process"),
        ({"actors": [{"name": "a", "kind": "k"}, {"name": "a", "kind": "k"}]}, "actors[1].name"),
        ({"actors": [{"name": "Bad-Name", "kind": "k"}]}, "actors[0].name"),
        ({"actors": [{"name": "a", "kind": "k", "pub": "foo"}]}, "actors[0].pub"),
        ({"bus": {"transport": "tcp"}}, "bus.curve"),
        ({"store": {"url": "mysql://x"}}, "store.url"),
        ({"store": {"synchronous": "off"}}, "store.synchronous"),
        ({"control": "inproc://x"}, "control"),
        ({"supervisor": {"max_failures": 0}}, "supervisor.max_failures"),
        ({"name": "e"}, "actors"),
    ],
)
def test_errors_name_the_key(doc: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(doc, "engine.toml")
    assert f"engine.toml: {key}" in str(err.value)


def test_load_file_and_bad_toml(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        'name = "e2"\n[bus]\ntransport = "ipc"\n[[actors]]\nname = "recorder"\nkind = "recorder"\n'
        'process = "rec"\noptions = { record_topics = ["price."] }\n'
    )
    cfg = load_config(good)
    assert cfg.processes() == ["main", "rec"]
    assert cfg.actors[0].options == {"record_topics": ["price."]}
    bad = tmp_path / "bad.toml"
    bad.write_text("[bus\ntransport=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
