#!/usr/bin/env bash
# The package installs like one (issue 11 §6): build the wheel with maturin, install it into
# a scratch venv outside the checkout, and from an empty directory run the embedded engine
# for 10 s while `pyengine status --json` answers. Any failure exits non-zero.
#
# Environment: PYTHON (interpreter for the venv and the wheel, default python3), MATURIN
# (default .venv/bin/maturin, else maturin on PATH), WHEEL_DIR (reuse a built wheel there).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
PYTHON=${PYTHON:-python3}
if [[ -z "${MATURIN:-}" ]]; then
    if [[ -x .venv/bin/maturin ]]; then MATURIN=.venv/bin/maturin; else MATURIN=maturin; fi
fi
scratch=$(mktemp -d /tmp/pyengine-wheel.XXXXXX)
run_pid=""
cleanup() {
    if [[ -n "$run_pid" ]] && kill -0 "$run_pid" 2>/dev/null; then kill "$run_pid" || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT
fail() { echo "check_wheel: FAIL: $*" >&2; exit 1; }

wheels=${WHEEL_DIR:-$scratch/wheels}
if ! compgen -G "$wheels/pyengine-*.whl" >/dev/null; then
    "$MATURIN" build --release --quiet -i "$PYTHON" -o "$wheels"
fi
wheel=$(ls -t "$wheels"/pyengine-*.whl | head -1)
echo "check_wheel: built $(basename "$wheel") in $(( $(date +%s) - start ))s"
# What the installed engine reads at run time must be in the wheel, not in tests/.
# (The listing is read whole first: `unzip | grep -q` under pipefail fails when grep quits
# at its first match and unzip dies of SIGPIPE, the bigger the wheel the likelier.)
listing=$(unzip -l "$wheel")
grep -q "pyengine/data/instruments/binance_usdm/" <<<"$listing" \
    || fail "the wheel lacks pyengine/data/instruments"

"$PYTHON" -m venv "$scratch/venv"
pip=("$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check)
if [[ -d /opt/wheels ]]; then pip+=(--find-links /opt/wheels); fi
"${pip[@]}" "$wheel"
engine="$scratch/venv/bin/pyengine"

# An empty directory outside the checkout: nothing but the installed package to read from.
work="$scratch/empty"
mkdir "$work"
cd "$work"
"$engine" run --duration 10 >"$scratch/run.log" 2>&1 &
run_pid=$!
answered=""
for _ in $(seq 1 80); do
    if "$engine" status --json --timeout 1 >"$scratch/status.json" 2>/dev/null; then
        answered=yes
        break
    fi
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -z "$answered" ]]; then
    cat "$scratch/run.log" >&2
    fail "pyengine status never answered the running engine"
fi
"$scratch/venv/bin/python" - "$scratch/status.json" <<'PY' || fail "status: unexpected answer"
import json, sys
report = json.load(open(sys.argv[1]))
names = {a["name"] for a in report["actors"]}
missing = {"recorder", "risk", "validator", "sim"} - names
assert not missing, f"status lacks actors {sorted(missing)}"
print(f"check_wheel: status answered: {len(names)} actors, pid {report['pid']}")
PY
code=0
wait "$run_pid" || code=$?
run_pid=""
if [[ $code -ne 0 ]]; then
    cat "$scratch/run.log" >&2
    fail "pyengine run --duration 10 exited $code"
fi
grep -q "Traceback" "$scratch/run.log" && { cat "$scratch/run.log" >&2; fail "traceback in the run's log"; }
echo "check_wheel: ok in $(( $(date +%s) - start ))s"
