#!/usr/bin/env bash
# Runs Sync locally without Docker: RabbitMQ and PostgreSQL (infra/services.sh), the sandbox API on
# 127.0.0.1:5099, the ingress on 127.0.0.1:5080 and one worker, all bound to loopback; Ctrl+C stops them.
#
# First run only: makes demo keys in .run/keys (an Ed25519 key pair for platform webhooks and a whsec_ secret for
# the "crm" source), registers private-integration tokens for two demo locations in the sandbox, and installs them
# with sync-admin. Logs go to .run/<host>.log. See README.md for sending demo webhooks.
set -euo pipefail
cd "$(dirname "$0")/.."
export MASSTRANSIT_USAGE_TELEMETRY=false DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export DOTNET_ENVIRONMENT=Development ASPNETCORE_ENVIRONMENT=Development
DEMO_LOCATIONS=(DemoLocation00000001 DemoLocation00000002)

bash infra/services.sh up
echo "[run] building (Release)"
dotnet build Sync.sln -c Release -v quiet -nologo

mkdir -p .run/keys
keys="$PWD/.run/keys"   # absolute: dotnet run starts a program in its project's directory
run() { dotnet run --no-build -c Release --no-launch-profile --project "src/$1" -- "${@:2}"; }
if [ ! -f "$keys/source.secret" ]; then
  echo "[run] making demo keys in .run/keys"
  run Sync.Sandbox keygen --out "$keys" >/dev/null
fi
for i in "${!DEMO_LOCATIONS[@]}"; do
  [ -f ".run/keys/token-$i" ] || printf 'pit-demo-%s\n' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" > ".run/keys/token-$i"
done

echo "[run] migrating the database"
run Sync.Admin migrate >/dev/null
for i in "${!DEMO_LOCATIONS[@]}"; do
  location=${DEMO_LOCATIONS[$i]}
  if ! run Sync.Admin installations list --json | grep -q "\"$location\""; then
    run Sync.Admin installations add-private --location "$location" --token-file "$keys/token-$i" >/dev/null
    echo "[run] installed demo location $location"
  fi
done

pids=()
declare -A names=()
# Each host runs in a process group of its own, so stopping it stops everything it started.
cleanup() { for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

start() { # start <project> <args...>: the built host, in its output folder (where its appsettings.json is)
  local project=$1; shift
  echo "[run] starting $project $* (log: .run/$project.log)"
  (cd "src/$project/bin/Release/net10.0" && exec setsid dotnet "$project.dll" "$@") >".run/$project.log" 2>&1 &
  pids+=("$!"); names[$!]=$project
}

# The sandbox knows the demo locations' tokens; the ingress trusts the demo keys.
sandbox_env=()
for i in "${!DEMO_LOCATIONS[@]}"; do
  sandbox_env+=("Sync__Sandbox__PrivateTokens__${i}__LocationId=${DEMO_LOCATIONS[$i]}"
                "Sync__Sandbox__PrivateTokens__${i}__Token=$(cat ".run/keys/token-$i")")
done
export "${sandbox_env[@]}"
start Sync.Sandbox --urls http://127.0.0.1:5099
unset "${sandbox_env[@]%%=*}"

# The demo's app id is the one the emitter sends (emit --app-id, default sandbox-app).
Sync__Ingress__Platform__Ed25519PublicKey="$(cat .run/keys/ed25519.pub)" \
Sync__Ingress__Platform__AppId=sandbox-app \
Sync__Ingress__Sources__crm__Secrets__0="$(cat .run/keys/source.secret)" \
  start Sync.Ingress --urls http://127.0.0.1:5080
start Sync.Worker

echo "[run] waiting for the sandbox and the ingress"
for _ in $(seq 1 60); do
  if curl -fsS http://127.0.0.1:5099/_sandbox/health >/dev/null 2>&1 && curl -fsS http://127.0.0.1:5080/health/ready >/dev/null 2>&1; then
    echo "[run] ready: ingress http://127.0.0.1:5080, sandbox http://127.0.0.1:5099, demo locations ${DEMO_LOCATIONS[*]}"
    echo "[run] Ctrl+C stops everything."
    status=0
    wait -n -p stopped "${pids[@]}" || status=$?
    echo "[run] ${names[$stopped]:-a host} stopped (exit $status); see .run/${names[$stopped]:-*}.log" >&2
    exit 1
  fi
  sleep 1
done
echo "[run] ERROR: the hosts did not become ready within 60 s; see .run/*.log" >&2
exit 1
