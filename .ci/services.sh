#!/usr/bin/env bash
# Starts the services the "services" test path needs, on loopback only:
#   - a PostgreSQL 15 cluster with TimescaleDB preloaded (port $PG_PORT), owned by the
#     non-root `postgres` user (initdb and postgres refuse to run as root), with the memory
#     settings docker-compose.yml deploys (shared_buffers 2 GB …), so benches measure the
#     database as it is deployed (docs/performance.md), on huge pages when the kernel lets
#     us reserve them (reserve_huge_pages);
#   - Redis (port $REDIS_PORT), no persistence.
# Usage: .ci/services.sh start|stop   (state under $CI_STATE, default /tmp/quantql-ci)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
state="${CI_STATE:-/tmp/quantql-ci}"
pgbin=/usr/lib/postgresql/15/bin
PG_PORT="${PG_PORT:-55432}"
REDIS_PORT="${REDIS_PORT:-56379}"
pgdata="$state/pgdata"

as_postgres() { runuser -u postgres -- "$@"; }

install_packages() {
  if ! command -v redis-server >/dev/null; then
    echo "services: installing redis-server (apt)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null
  fi
  if [ ! -f /usr/share/postgresql/15/extension/timescaledb.control ] \
     || ! "$pgbin/postgres" --version | grep -qE ' 15\.(2[0-9]|[3-9][0-9])'; then
    echo "services: installing TimescaleDB"
    bash "$here/../../shared/timescaledb/install.sh"
  fi
  id postgres >/dev/null 2>&1 || useradd --system --user-group --no-create-home postgres
}

# PostgreSQL's settings here: those docker-compose.yml deploys, loopback only, no durability.
pg_options() {
  echo "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$state \
    -c shared_preload_libraries=timescaledb -c timezone=UTC -c max_connections=200 \
    -c shared_buffers=2GB -c effective_cache_size=6GB -c work_mem=64MB -c maintenance_work_mem=512MB \
    -c huge_pages=try -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c timescaledb.telemetry_level=off"
}

# Reserves the 2 MiB pages PostgreSQL's shared memory needs (its huge_pages=try uses them;
# without, it falls back to 4 KiB pages). Why: each new backend takes a page fault per 4 KiB
# of shared buffers it first touches — a fresh connection's first scan of the 455 MB block
# table cost 435 ms instead of 23 ms (37 ms on huge pages), and a batch's chunks run on fresh
# connections (docs/performance.md). The previous reservation is restored on stop.
reserve_huge_pages() {
  local sysctl=/proc/sys/vm/nr_hugepages need have available
  [ -w "$sysctl" ] || return 0
  # shared_memory_size_in_huge_pages: PostgreSQL ≥ 15 computes it from the settings (the
  # cluster must be stopped; started twice, this one keeps the pages it has).
  # shellcheck disable=SC2046
  need=$(as_postgres "$pgbin/postgres" -D "$pgdata" $(pg_options) -C shared_memory_size_in_huge_pages 2>/dev/null) || return 0
  have=$(cat "$sysctl")
  # Pages neither in use nor promised to another process (another cluster may hold some).
  available=$(awk '/^HugePages_Free:/ {f=$2} /^HugePages_Rsvd:/ {r=$2} END {print f - r}' /proc/meminfo)
  [ "$need" -gt 0 ] && [ "$available" -lt "$need" ] || return 0
  [ -f "$state/nr_hugepages.before" ] || echo "$have" > "$state/nr_hugepages.before"
  echo $((have + need - available)) > "$sysctl" 2>/dev/null || true
}

start() {
  install_packages
  mkdir -p "$state"
  chmod 755 "$state"
  if [ ! -s "$pgdata/PG_VERSION" ]; then
    rm -rf "$pgdata"; mkdir -p "$pgdata"; chown postgres:postgres "$pgdata"
    as_postgres "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  chown postgres:postgres "$state"
  reserve_huge_pages
  as_postgres "$pgbin/pg_ctl" -D "$pgdata" -l "$state/postgres.log" -w -t 60 start -o "$(pg_options)" >/dev/null
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$state/redis.pid" --logfile "$state/redis.log"
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    echo "services: Redis did not start on 127.0.0.1:$REDIS_PORT:" >&2
    tail -n 3 "$state/redis.log" >&2
    exit 1
  fi
  echo "services: PostgreSQL 15 + TimescaleDB on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"
}

stop() {
  [ -f "$pgdata/postmaster.pid" ] && as_postgres "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null || true
  [ -f "$state/redis.pid" ] && redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  if [ -f "$state/nr_hugepages.before" ]; then
    cat "$state/nr_hugepages.before" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
    rm -f "$state/nr_hugepages.before"
  fi
  echo "services: stopped"
}

"${1:-start}"
