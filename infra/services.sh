#!/usr/bin/env bash
# Brings up the services Sync and its tests need on a Debian/Ubuntu machine without Docker:
# RabbitMQ (with the management API) and PostgreSQL, from the distribution's packages, and promtool (Debian's
# prometheus package) for the alert rules' unit tests. Beside them, for the chaos suite alone (tests/Sync.ChaosTests,
# which stops and starts its broker and database while the other suites run in parallel): a second RabbitMQ node
# (sync-chaos@localhost, AMQP 127.0.0.1:5673, no plugins) and a second PostgreSQL cluster (<version>/chaos, port 5433).
#
#   bash infra/services.sh up       install if missing, start, wait, create the test user and database (default)
#   bash infra/services.sh status   say what is running
#   bash infra/services.sh down     stop both
#
# Idempotent: a second `up` finds everything running and changes nothing. Exits non-zero with a message
# saying what failed. With SYNC_SERVICES=docker and a Docker engine that answers, `docker compose` is used.
set -euo pipefail

PG_USER="${SYNC_PG_USER:-sync}"
PG_PASSWORD="${SYNC_PG_PASSWORD:-sync}"
PG_DATABASE="${SYNC_PG_DATABASE:-sync}"
PG_MAX_CONNECTIONS="${SYNC_PG_MAX_CONNECTIONS:-400}"
WAIT_SECONDS="${SYNC_SERVICES_WAIT_SECONDS:-90}"
CHAOS_NODE="${SYNC_CHAOS_RABBITMQ_NODE:-sync-chaos@localhost}"
CHAOS_AMQP_PORT="${SYNC_CHAOS_RABBITMQ_PORT:-5673}"
CHAOS_DIST_PORT="${SYNC_CHAOS_RABBITMQ_DIST_PORT:-25673}"
CHAOS_RABBIT_DIR=/var/lib/rabbitmq/sync-chaos
CHAOS_PG_CLUSTER="${SYNC_CHAOS_PG_CLUSTER:-chaos}"
CHAOS_PG_PORT="${SYNC_CHAOS_PG_PORT:-5433}"

say()  { printf '[services] %s\n' "$*"; }
fail() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    fail "need root (or sudo) to run: $*"; fi
}

as_postgres() { as_root runuser -u postgres -- "$@"; }

apt_updated=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: install $* by hand (this script supports Debian/Ubuntu)"
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || fail "apt-get update failed"
    apt_updated=1
  fi
  say "installing $*"
  # Package scripts may try to start the service through an init system that is absent here; we start it ourselves.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
    || fail "apt-get install $* failed"
}

wait_until() { # wait_until <what> <command...>
  local what=$1; shift
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$what did not become ready within ${WAIT_SECONDS}s"
    sleep 1
  done
}

# ---------------------------------------------------------------- RabbitMQ
rabbit_ping() { as_root rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
rabbit_api() { curl -fsS -u guest:guest http://127.0.0.1:15672/api/overview; }

rabbitmq_up() {
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    apt_install rabbitmq-server
  fi
  command -v curl >/dev/null 2>&1 || apt_install curl
  # The management plugin ships with the server (no community plugin): it serves the UI and the HTTP API
  # the tests use to create a virtual host per fixture.
  local enabled=/etc/rabbitmq/enabled_plugins
  if ! { [ -f "$enabled" ] && grep -q rabbitmq_management "$enabled"; }; then
    say "enabling rabbitmq_management"
    as_root rabbitmq-plugins enable --offline rabbitmq_management >/dev/null \
      || fail "could not enable the rabbitmq_management plugin"
  fi
  if rabbit_ping; then
    say "RabbitMQ already running"
  else
    say "starting RabbitMQ"
    as_root rabbitmq-server -detached >/dev/null 2>&1 || true
    wait_until "RabbitMQ" rabbit_ping
  fi
  wait_until "RabbitMQ management API (http://127.0.0.1:15672)" rabbit_api
  wait_until "RabbitMQ AMQP port 5672" bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672'
}

rabbitmq_down() {
  if command -v rabbitmqctl >/dev/null 2>&1 && rabbit_ping; then
    say "stopping RabbitMQ"; as_root rabbitmqctl stop >/dev/null
  fi
}

# The chaos node: its own name, ports, data, logs and (empty) plugin list, so it starts and stops alone. The Debian
# wrapper runs it as the rabbitmq user (same Erlang cookie, so rabbitmqctl -n reaches it) and keeps these variables.
chaos_rabbit() { # chaos_rabbit <command> [args...]: a RabbitMQ script run against the chaos node
  as_root env RABBITMQ_NODENAME="$CHAOS_NODE" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$CHAOS_AMQP_PORT" \
    RABBITMQ_DIST_PORT="$CHAOS_DIST_PORT" RABBITMQ_MNESIA_BASE="$CHAOS_RABBIT_DIR/mnesia" \
    RABBITMQ_LOG_BASE=/var/log/rabbitmq/sync-chaos RABBITMQ_ENABLED_PLUGINS_FILE="$CHAOS_RABBIT_DIR/enabled_plugins" \
    RABBITMQ_PID_FILE="$CHAOS_RABBIT_DIR/pid" RABBITMQ_CONFIG_FILE="$CHAOS_RABBIT_DIR/rabbitmq" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" "$@"
}
chaos_rabbit_ping() { as_root rabbitmq-diagnostics -n "$CHAOS_NODE" -q ping >/dev/null 2>&1; }

chaos_rabbitmq_up() {
  as_root mkdir -p "$CHAOS_RABBIT_DIR" /var/log/rabbitmq/sync-chaos
  [ -f "$CHAOS_RABBIT_DIR/enabled_plugins" ] || echo '[].' | as_root tee "$CHAOS_RABBIT_DIR/enabled_plugins" >/dev/null
  as_root chown -R rabbitmq:rabbitmq "$CHAOS_RABBIT_DIR" /var/log/rabbitmq/sync-chaos
  if chaos_rabbit_ping; then
    say "RabbitMQ chaos node $CHAOS_NODE already running"
  else
    say "starting RabbitMQ chaos node $CHAOS_NODE on 127.0.0.1:$CHAOS_AMQP_PORT"
    chaos_rabbit rabbitmq-server -detached >/dev/null 2>&1 || true
    wait_until "RabbitMQ chaos node $CHAOS_NODE" chaos_rabbit_ping
  fi
  # The suite may have stopped the application (rabbitmqctl stop_app) and died before starting it again.
  as_root rabbitmqctl -n "$CHAOS_NODE" -q start_app >/dev/null 2>&1 || true
  wait_until "RabbitMQ chaos AMQP port $CHAOS_AMQP_PORT" bash -c "exec 3<>/dev/tcp/127.0.0.1/$CHAOS_AMQP_PORT"
}

chaos_rabbitmq_down() {
  if command -v rabbitmqctl >/dev/null 2>&1 && chaos_rabbit_ping; then
    say "stopping RabbitMQ chaos node"; as_root rabbitmqctl -n "$CHAOS_NODE" stop >/dev/null
  fi
}

# ---------------------------------------------------------------- PostgreSQL
pg_cluster() { # prints "<version> <name> <port> <status>" of the shared cluster: the one named main, else the first one not the chaos one
  pg_lsclusters -h 2>/dev/null | awk -v chaos="$CHAOS_PG_CLUSTER" '$2 == "main" {print $1, $2, $3, $4; found = 1; exit} $2 != chaos && first == "" {first = $1 " " $2 " " $3 " " $4} END {if (!found && first != "") print first}'
}

pg_chaos_cluster() { # prints "<version> <name> <port> <status>" of the chaos cluster, if any
  pg_lsclusters -h 2>/dev/null | awk -v chaos="$CHAOS_PG_CLUSTER" '$2 == chaos {print $1, $2, $3, $4; exit}'
}

postgres_up() {
  if ! command -v pg_lsclusters >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt_install postgresql
  fi
  local cluster version name port status
  cluster=$(pg_cluster)
  if [ -z "$cluster" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    say "creating PostgreSQL cluster $version/main"
    as_root pg_createcluster "$version" main >/dev/null || fail "pg_createcluster $version main failed"
    cluster=$(pg_cluster)
  fi
  read -r version name port status <<<"$cluster"
  if [ "$status" = "online" ]; then
    say "PostgreSQL $version/$name already running on port $port"
  else
    say "starting PostgreSQL $version/$name"
    as_root pg_ctlcluster "$version" "$name" start || fail "pg_ctlcluster $version $name start failed"
  fi
  wait_until "PostgreSQL on port $port" pg_isready -q -h 127.0.0.1 -p "$port"

  # The suites run in parallel, each fixture with a database and the pools of its own hosts: the default 100
  # connections run out. Raised once (a restart applies it).
  local connections
  connections=$(as_postgres psql -p "$port" -tAX -d postgres -c 'SHOW max_connections')
  if [ "${connections:-0}" -lt "$PG_MAX_CONNECTIONS" ]; then
    say "raising PostgreSQL max_connections from $connections to $PG_MAX_CONNECTIONS (restart)"
    as_postgres psql -p "$port" -qX -d postgres -c "ALTER SYSTEM SET max_connections = $PG_MAX_CONNECTIONS" >/dev/null
    as_root pg_ctlcluster "$version" "$name" restart || fail "pg_ctlcluster $version $name restart failed"
    wait_until "PostgreSQL on port $port" pg_isready -q -h 127.0.0.1 -p "$port"
  fi

  # The test user may create databases: each integration fixture makes its own and drops it afterwards. It is also a
  # member of pg_signal_backend, so DROP DATABASE ... WITH (FORCE) may end an autovacuum worker still busy in a
  # fixture's database (PostgreSQL 15 refuses that to a plain owner: "must be a member of the role whose process is
  # being terminated").
  as_postgres psql -p "$port" -v ON_ERROR_STOP=1 -q -X -d postgres >/dev/null <<SQL || fail "could not create the PostgreSQL user and database"
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', '$PG_USER', '$PG_PASSWORD')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$PG_DATABASE', '$PG_USER')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE') \gexec
SELECT format('GRANT pg_signal_backend TO %I', '$PG_USER')
WHERE NOT pg_has_role('$PG_USER', 'pg_signal_backend', 'MEMBER') \gexec
SQL
  PG_PORT=$port
}

# The chaos cluster: same user and database as the shared one, its own port; the suite stops and starts it itself.
chaos_postgres_up() {
  local cluster version name port status
  cluster=$(pg_chaos_cluster)
  if [ -z "$cluster" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    say "creating PostgreSQL cluster $version/$CHAOS_PG_CLUSTER on port $CHAOS_PG_PORT (chaos suite)"
    as_root pg_createcluster "$version" "$CHAOS_PG_CLUSTER" --port "$CHAOS_PG_PORT" -- >/dev/null \
      || fail "pg_createcluster $version $CHAOS_PG_CLUSTER failed"
    cluster=$(pg_chaos_cluster)
  fi
  read -r version name port status <<<"$cluster"
  if [ "$status" = "online" ]; then
    say "PostgreSQL $version/$name already running on port $port"
  else
    say "starting PostgreSQL $version/$name"
    as_root pg_ctlcluster "$version" "$name" start || fail "pg_ctlcluster $version $name start failed"
  fi
  wait_until "PostgreSQL on port $port" pg_isready -q -h 127.0.0.1 -p "$port"
  as_postgres psql -p "$port" -v ON_ERROR_STOP=1 -q -X -d postgres >/dev/null <<SQL || fail "could not create the PostgreSQL user and database on the chaos cluster"
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', '$PG_USER', '$PG_PASSWORD')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$PG_DATABASE', '$PG_USER')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE') \gexec
SELECT format('GRANT pg_signal_backend TO %I', '$PG_USER')
WHERE NOT pg_has_role('$PG_USER', 'pg_signal_backend', 'MEMBER') \gexec
SQL
  CHAOS_PG_PORT=$port
}

chaos_postgres_down() {
  local cluster version name port status
  cluster=$(pg_chaos_cluster)
  [ -n "$cluster" ] || return 0
  read -r version name port status <<<"$cluster"
  if [ "$status" = "online" ]; then say "stopping PostgreSQL chaos cluster"; as_root pg_ctlcluster "$version" "$name" stop; fi
}

postgres_down() {
  local cluster version name port status
  cluster=$(pg_cluster)
  [ -n "$cluster" ] || return 0
  read -r version name port status <<<"$cluster"
  if [ "$status" = "online" ]; then say "stopping PostgreSQL"; as_root pg_ctlcluster "$version" "$name" stop; fi
}

# ---------------------------------------------------------------- promtool
# The tests run `promtool test rules infra/prometheus/alerts.test.yml`. Only the tool is wanted: the package's own
# Prometheus server (which a package script may start, scraping its default targets) is stopped and left disabled.
promtool_up() {
  if ! command -v promtool >/dev/null 2>&1; then
    if ! command -v apt-get >/dev/null 2>&1; then
      say "promtool not found and no apt-get: the alert-rule tests fail in CI and are skipped elsewhere"; return 0
    fi
    if [ "$apt_updated" -eq 0 ]; then
      say "apt-get update"
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || fail "apt-get update failed"
      apt_updated=1
    fi
    say "installing prometheus (for promtool)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
      || fail "apt-get install prometheus failed"
  fi
  if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled prometheus >/dev/null 2>&1; then
    as_root systemctl disable --now prometheus >/dev/null 2>&1 || true
  elif command -v service >/dev/null 2>&1 && service prometheus status >/dev/null 2>&1; then
    as_root service prometheus stop >/dev/null 2>&1 || true
  fi
  command -v promtool >/dev/null 2>&1 && say "promtool: $(promtool --version 2>&1 | head -n 1)"
}

# ---------------------------------------------------------------- main
print_settings() {
  cat <<TXT
[services] ready. Connection settings (the defaults of the tests and of appsettings.Development.json):
  SYNC_TEST_RABBITMQ=amqp://guest:guest@localhost:5672/
  SYNC_TEST_RABBITMQ_MANAGEMENT=http://guest:guest@localhost:15672/
  SYNC_TEST_POSTGRES=Host=127.0.0.1;Port=${PG_PORT:-5432};Username=$PG_USER;Password=$PG_PASSWORD;Database=$PG_DATABASE
  SYNC_TEST_SQLSERVER=${SYNC_TEST_SQLSERVER:-<unset: the SQL Server suite is skipped with a printed reason>}
  the chaos suite's own broker node and cluster (it stops and starts them):
  SYNC_TEST_CHAOS_RABBITMQ=amqp://guest:guest@localhost:$CHAOS_AMQP_PORT/  (node $CHAOS_NODE)
  SYNC_TEST_CHAOS_POSTGRES=Host=127.0.0.1;Port=${CHAOS_PG_PORT};Username=$PG_USER;Password=$PG_PASSWORD;Database=$PG_DATABASE
TXT
}

docker_answers() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

cmd="${1:-up}"
if [ "${SYNC_SERVICES:-native}" = "docker" ]; then
  docker_answers || fail "SYNC_SERVICES=docker but no Docker engine answers"
  # docker-compose.yml requires SYNC_TOKEN_KEY for the hosts; the broker and the database do not use it.
  export SYNC_TOKEN_KEY="${SYNC_TOKEN_KEY:-not-used-by-rabbitmq-or-sqlserver}"
  case "$cmd" in
    up) docker compose up -d --wait rabbitmq sqlserver; promtool_up ;;
    down) docker compose down ;;
    status) docker compose ps ;;
    *) fail "unknown command '$cmd' (up, down, status)" ;;
  esac
  exit 0
fi

case "$cmd" in
  up) rabbitmq_up; chaos_rabbitmq_up; postgres_up; chaos_postgres_up; promtool_up; print_settings ;;
  down) chaos_rabbitmq_down; rabbitmq_down; chaos_postgres_down; postgres_down ;;
  status)
    if command -v rabbitmq-diagnostics >/dev/null 2>&1 && rabbit_ping; then say "RabbitMQ: running"; else say "RabbitMQ: not running"; fi
    if command -v rabbitmq-diagnostics >/dev/null 2>&1 && chaos_rabbit_ping; then say "RabbitMQ chaos node: running"; else say "RabbitMQ chaos node: not running"; fi
    if [ -n "$(pg_cluster)" ]; then say "PostgreSQL: $(pg_cluster)"; else say "PostgreSQL: no cluster"; fi
    if [ -n "$(pg_chaos_cluster)" ]; then say "PostgreSQL chaos: $(pg_chaos_cluster)"; else say "PostgreSQL chaos: no cluster"; fi ;;
  *) fail "unknown command '$cmd' (up, down, status)" ;;
esac
