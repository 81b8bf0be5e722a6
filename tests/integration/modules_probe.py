"""`python -m tests.integration.modules_probe run ...`: `pyengine`'s command line, and on
SIGUSR1 the names of every imported module written to `$MODULES_OUT` (one a line)."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _dump(signum: int, frame: FrameType | None) -> None:
    out = os.environ["MODULES_OUT"]
    with open(out + ".tmp", "w") as f:
        f.write("\n".join(sorted(sys.modules)))
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _dump)
    from pyengine.cli import main

    sys.exit(main(sys.argv[1:]))
