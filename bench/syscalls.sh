#!/usr/bin/env bash
# Syscalls per request under one profile, counted with `strace -c -f -p PID`.
#
#   bash bench/syscalls.sh PROFILE [CONNS]
#
# PROFILE is get-only, baseline, pipelined or limited-conn; CONNS defaults to 512. mote is measured,
# and the floor too for get-only and pipelined (the shapes it can answer). strace slows the server a
# lot, so only the counts mean anything, not the times. Not part of `make bench`.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

PROFILE=${1:-}
CONNS=${2:-512}
SECS=${BENCH_SECONDS:-5}
case "$PROFILE" in
  get-only | pipelined) SERVERS="mote floor" ;;
  baseline | limited-conn) SERVERS="mote" ;;
  *) die "usage: bench/syscalls.sh get-only|baseline|pipelined|limited-conn [CONNS]" ;;
esac

[[ -x "$MOTE_BIN" ]] || die "$MOTE_BIN not found: build it first (make static)"
ensure_packages wrk:wrk strace:strace taskset:util-linux
build_floor
raise_fd_limit

STRACE_PID=""
stop_strace() {
  [[ -n "$STRACE_PID" ]] || return 0
  kill -TERM "$STRACE_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$STRACE_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$STRACE_PID" 2>/dev/null || true
  wait "$STRACE_PID" 2>/dev/null || true
  STRACE_PID=""
}
trap 'stop_strace; cleanup' EXIT

for server in $SERVERS; do
  start_server "$server"
  run_wrk "$PROFILE" "$CONNS" 1 "$TMP/warmup.txt"
  sleep 0.2
  taskset -c "$CLIENT_CPU" strace -c -f -p "$SERVER_PID" -o "$TMP/strace.txt" 2>"$TMP/strace.err" &
  STRACE_PID=$!
  # strace reports each attached thread on stderr; wait for that before loading.
  for ((i = 0; i < 100; i++)); do
    grep -q 'attached' "$TMP/strace.err" 2>/dev/null && break
    sleep 0.05
  done
  run_wrk "$PROFILE" "$CONNS" "$SECS" "$TMP/wrk.txt"
  sleep 0.2
  stop_strace
  stop_server
  read -r requests _ rps errors <<<"$(parse_wrk "$TMP/wrk.txt")"
  ((requests > 0)) || die "$server answered nothing"
  echo "## $server, $PROFILE, $CONNS connections: $requests responses in ${SECS}s under strace ($errors errors)"
  echo
  echo "| syscall | calls | per request |"
  echo "| --- | ---: | ---: |"
  # strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall; the last row is "total".
  awk -v r="$requests" '
    $1 ~ /^[0-9.]+$/ && NF >= 5 { name = $NF; calls = $4; rows[name] = calls; order[++n] = name }
    END {
      for (i = 1; i <= n; i++) {
        name = order[i]
        if (name == "total") continue
        printf "| %s | %d | %.3f |\n", name, rows[name], rows[name] / r
      }
      printf "| **total** | %d | %.3f |\n", rows["total"], rows["total"] / r
    }
  ' "$TMP/strace.txt"
  echo
done
