#!/usr/bin/env bash
# Starts or stops the throwaway PostgreSQL cluster that `hookbench -database`
# is measured on (docs/PERFORMANCE.md): the Debian server binaries, default
# durability (fsync, synchronous_commit and full_page_writes on), TCP on
# 127.0.0.1, trust authentication for the postgres role. Run as root: the
# server runs as the postgres OS user. `start` prints the URL to give
# hookbench -database; `stop` stops the cluster and removes its files.
#
#   scripts/bench-pg.sh start      # PG=$(scripts/bench-pg.sh start)
#   scripts/bench-pg.sh stop
#
# PGBENCH_DIR (default /tmp/pgbench) and PGBENCH_PORT (default 55440) choose
# where it lives, so two sessions can each have one.
set -euo pipefail

dir=${PGBENCH_DIR:-/tmp/pgbench}
port=${PGBENCH_PORT:-55440}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
	echo "bench-pg: no /usr/lib/postgresql/*/bin: run scripts/install-test-deps.sh" >&2
	exit 1
fi
as_pg() { runuser -u postgres -- "$@"; }

case "${1:-}" in
start)
	mkdir -p "$dir/data" "$dir/sock"
	chown postgres: "$dir" "$dir/data" "$dir/sock"
	chmod 700 "$dir/data"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log"
	fi
	as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/sock/postgres.log" -w start \
		-o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/sock" >/dev/null
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
