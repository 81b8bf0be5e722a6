#!/usr/bin/env bash
# Make sure a throwaway PostgreSQL server is running for the tests, and print its URL.
#
# Installs Debian's `postgresql` package if no server binaries are found (needs root and the
# Debian mirror), then starts a private cluster owned by the `postgres` user, listening only
# on a unix socket in $PGE_DIR and on 127.0.0.1:$PGE_PORT. Idempotent: a running cluster is
# reused. Stop it with `scripts/ensure_postgres.sh stop`.
#
# Env: PGE_DIR (default /tmp/pyengine-pg), PGE_PORT (default 55432).
set -euo pipefail
dir="${PGE_DIR:-/tmp/pyengine-pg}"
port="${PGE_PORT:-55432}"
db=pyengine_test

find_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        if [[ -x "$d/pg_ctl" && -x "$d/initdb" && -x "$d/postgres" ]]; then
            echo "$d"
        fi
    done | sort -V | tail -n 1
}

bin="$(find_bin)"
if [[ -z "$bin" ]]; then
    echo "ensure_postgres: installing Debian's postgresql package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    bin="$(find_bin)"
fi
[[ -n "$bin" ]] || { echo "ensure_postgres: no PostgreSQL server binaries" >&2; exit 1; }

as_pg() {
    if [[ "$(id -un)" == postgres ]]; then "$@"; elif [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

data="$dir/data"
if [[ "${1:-}" == stop ]]; then
    [[ -d "$data" ]] && as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >&2 || true
    exit 0
fi

mkdir -p "$dir"
if [[ "$(id -u)" == 0 ]] && id postgres >/dev/null 2>&1; then chown postgres: "$dir"; fi
if [[ ! -f "$data/PG_VERSION" ]]; then
    as_pg "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --no-instructions >/dev/null
fi
if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$data" -w -t 30 -l "$dir/server.log" \
        -o "-k $dir -p $port -h 127.0.0.1 -c fsync=on -c max_connections=50" start >&2
fi
if ! as_pg "$bin/psql" -h "$dir" -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" postgres | grep -q 1; then
    as_pg "$bin/psql" -h "$dir" -p "$port" -U postgres -qc "CREATE DATABASE $db" postgres >&2
fi
echo "postgresql://postgres@127.0.0.1:$port/$db"
