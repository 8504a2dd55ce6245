#!/usr/bin/env bash
# A throw-away PostgreSQL 15 server for the test suite (used by ./test).
#   scripts/pg.sh start DIR   create a cluster in DIR/data, start it on a free loopback port, create the
#                             database "aftersales"; the port is printed as the last line of stdout
#   scripts/pg.sh stop DIR    stop that server (fast shutdown); removing DIR is up to the caller
# A DIR that already holds a cluster is started again as it is (the benchmarks keep their data).
# PG_DURABLE=1 keeps fsync and synchronous_commit on (benchmarks measure durable commits) and gives the
# server memory for a million-row data set; otherwise the tests' fast, non-durable settings apply.
# PostgreSQL refuses to run as root, so as root everything runs as the "postgres" OS user.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action="$1"
dir="$(realpath -m "$2")"

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

case "$action" in
  start)
    [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 not found in $PG_BIN (apt-get install postgresql)" >&2; exit 1; }
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown -R postgres: "$dir"
      chmod 0700 "$dir"
      if ! runuser -u postgres -- test -w "$dir"; then
        echo "the postgres user cannot reach $dir: use a directory whose parents it may enter, e.g. mktemp -d" >&2
        exit 1
      fi
    fi
    existing=0
    if [ -f "$dir/data/PG_VERSION" ]; then
      existing=1
    else
      as_pg "$PG_BIN/initdb" -D "$dir/data" -E UTF8 --locale=C.UTF-8 -A trust -U postgres >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if [ "${PG_DURABLE:-0}" = 1 ]; then
      settings="-c shared_buffers=2GB -c work_mem=32MB -c maintenance_work_mem=512MB -c effective_cache_size=12GB -c max_wal_size=4GB -c random_page_cost=1.1"
    else
      settings="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    # Another process may grab the port between choosing and binding it: retry a few times.
    started=0
    for _ in 1 2 3 4 5; do
      port="$(free_port)"
      if as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir $settings" \
        start >/dev/null; then
        started=1
        break
      fi
    done
    if [ "$started" != 1 ]; then
      echo "PostgreSQL did not start; log follows:" >&2
      cat "$dir/log" >&2 || true
      exit 1
    fi
    if [ "$existing" = 0 ]; then
      as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres aftersales
    fi
    echo "$port"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    ;;
  *)
    usage
    ;;
esac
