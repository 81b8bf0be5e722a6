"""Print the project's runtime + dev requirements from pyproject.toml, one per line.

The Makefile installs these before building the extension with `maturin develop`,
so dependencies never drift from pyproject.toml.
"""

import tomllib
from pathlib import Path

project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
deps = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
print("\n".join(f'"{d}"' if " " in d else d for d in deps))
