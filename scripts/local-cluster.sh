#!/usr/bin/env bash
# Runs the Procfile's members without goreman: each line "name: command" is started in
# the background with its output prefixed by the name; Ctrl-C (or SIGTERM) stops them all.
# Usage: scripts/local-cluster.sh [Procfile]   (run from the directory for the data dirs)
set -euo pipefail
procfile=${1:-"$(dirname "$0")/../Procfile"}
root=$(cd "$(dirname "$procfile")" && pwd)
pids=()
stop() {
  trap - INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop INT TERM
while IFS= read -r line; do
  [[ -z "$line" || "$line" == \#* ]] && continue
  name=${line%%:*}
  cmd=${line#*:}
  # Procfile commands name bin/etcd relative to the checkout.
  cmd=${cmd/ bin\/etcd / $root\/bin\/etcd }
  # The member itself is the background job (its output goes through sed), so the
  # recorded pid is the member's and stopping it needs no process-group tricks.
  eval "exec $cmd" > >(sed -u "s/^/$name | /") 2>&1 &
  pids+=("$!")
done < "$procfile"
wait
