#!/usr/bin/env bash
# PostgreSQL and Redis on loopback for the benchmarks, kept between runs (the generated data
# survives, so `make bench` can measure again without loading again).
#
#   bench/services.sh start   # prints the DATABASE_URL / CELERY_BROKER_URL exports
#   bench/services.sh stop
#   bench/services.sh env     # the exports only
#
# BENCH_PG_PORT (55450), BENCH_REDIS_PORT (56380) and BENCH_DIR (var/bench) choose where.
# PostgreSQL is tuned for a 2-core, 24 GiB machine (shared_buffers 2 GB, work_mem 64 MB);
# fsync is off: this is throwaway benchmark data, and the load is not what is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_PORT=${BENCH_PG_PORT:-55450}
REDIS_PORT=${BENCH_REDIS_PORT:-56380}
DIR=$(realpath -m "${BENCH_DIR:-var/bench}")
PG_BIN=$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | tail -n 1)")")
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

exports() {
  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/crm"
  echo "export CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

start() {
  mkdir -p "$DIR"
  if [ ! -f "$DIR/pg/PG_VERSION" ]; then
    mkdir -p "$DIR/pg"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR" "$DIR/pg"
    as_pg "$PG_BIN/initdb" -D "$DIR/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg.log" -w -o "-c listen_addresses=127.0.0.1 \
      -p $PG_PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
      -c shared_buffers=2GB -c work_mem=64MB -c maintenance_work_mem=1GB \
      -c effective_cache_size=12GB -c max_wal_size=8GB -c max_connections=200 \
      -c random_page_cost=1.1" start >/dev/null
  fi
  as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'crm'" | grep -q 1 ||
    as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres crm
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
      --daemonize yes --dir "$DIR" --logfile "$DIR/redis.log"
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  exports
}

stop() {
  as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" -m fast stop >/dev/null 2>&1 || true
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) exports ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
