#!/usr/bin/env bash
# Runs Sync locally without Docker: brings up RabbitMQ and PostgreSQL (infra/services.sh), builds the
# solution, then starts every host of the project that exists, each bound to loopback, and stops them all
# on Ctrl+C. Logs go to .run/<host>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
export MASSTRANSIT_USAGE_TELEMETRY=false DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

bash infra/services.sh up
dotnet build Sync.sln -c Release -v quiet -nologo

mkdir -p .run
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

start() { # start <project> <args...>
  local project=$1; shift
  if [ ! -f "src/$project/$project.csproj" ]; then return 0; fi
  echo "[run] starting $project $* (log: .run/$project.log)"
  dotnet run --no-build -c Release --project "src/$project" -- "$@" >".run/$project.log" 2>&1 &
  pids+=("$!")
}

# Hosts join this list as they are built: the sandbox API, the ingress, the worker.
start Sync.Sandbox --urls http://127.0.0.1:5099
start Sync.Ingress --urls http://127.0.0.1:5080
start Sync.Worker

if [ "${#pids[@]}" -eq 0 ]; then
  echo "[run] services are up; no host of the project exists yet."
  exit 0
fi
echo "[run] running; Ctrl+C stops everything."
wait -n "${pids[@]}"
