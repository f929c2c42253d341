#!/usr/bin/env bash
# mote's benchmark: mote against nginx and the floor (bench/floor.rs), arena-shaped profiles.
#
#   bash bench/run.sh [--quick]        (make bench / make bench QUICK=1)
#
# Each server is started fresh per run, pinned to CPU 0 with one worker; wrk runs pinned to CPU 1
# with one thread. Per run: a 1 s warm-up, then the measured wrk run; the server's CPU time is
# utime+stime from /proc/PID/stat read before and after it, divided by the responses wrk counted.
# echo-ws: bench/wsload instead of wrk (same pinning), CPU per echo; its upgrades are made before
# the first reading, and the floor is `floor PORT ws`.
# h2c: HTTP/2 with prior knowledge, h2load -t1 -m100 (same pinning) on GET /baseline2?a=1&b=1,
# against mote's --h2c-port and h2o serving a static file (bench/lib.sh, h2o_conf). A 1 s timed
# warm-up, then a measured run of a request count sized from its rate to last about as long as
# the others, so that every request made is answered and counted (see run_h2load).
# Rounds interleave the servers (A B C A B C ...); the table shows medians over rounds, errors summed.
# Environment: BENCH_ROUNDS, BENCH_SECONDS override the mode's defaults; MOTE_BIN another build;
# BENCH_PROFILES a space- or comma-separated list of the profiles to run (e.g. "h2c pipelined").
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

QUICK=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done
if ((QUICK)); then
  ROUNDS=${BENCH_ROUNDS:-1}; SECONDS_PER_RUN=${BENCH_SECONDS:-2}
else
  ROUNDS=${BENCH_ROUNDS:-5}; SECONDS_PER_RUN=${BENCH_SECONDS:-5}
fi
WARMUP=1
START=$(date +%s)

[[ -x "$MOTE_BIN" ]] || die "$MOTE_BIN not found: build it first (make static, or make bench)"
[[ -r "$MOTE_BENCH_REQUESTS/get.raw" ]] || die "arena request templates not found in $MOTE_BENCH_REQUESTS"
ensure_packages wrk:wrk nginx:nginx-light taskset:util-linux h2load:nghttp2-client h2o:h2o curl:curl
build_floor
build_wsload
raise_fd_limit
TCK=$(getconf CLK_TCK)
OUT="$BENCH/out"
mkdir -p "$OUT"
RUNS="$OUT/runs.tsv"

# profile, connections, servers (mote always first).
CASES=(
  "get-only 512 mote nginx floor"
  "get-only 4096 mote floor"
  "baseline 512 mote"
  "baseline 4096 mote"
  "pipelined 512 mote nginx floor"
  "pipelined 4096 mote nginx floor"
  "limited-conn 512 mote"
  "limited-get 512 mote floor"
  "echo-ws 512 mote floor"
  "echo-ws 4096 mote floor"
  "h2c 256 mote h2o"
  "h2c 1024 mote h2o"
  "h2c 4096 mote h2o"
)
# h2c 4096 as in the arena (4,096 connections x 100 streams): one h2load thread copes with it, and
# it fits this machine (4,096 fds each for h2load and the server under the 20,000 limit; twice
# 4,096 client ports per run, warm-up and measured, out of 32768-60999).

if [[ -n "${BENCH_PROFILES:-}" ]]; then
  wanted=" ${BENCH_PROFILES//,/ } "
  kept=()
  for c in "${CASES[@]}"; do
    if [[ "$wanted" == *" ${c%% *} "* ]]; then kept+=("$c"); fi
  done
  ((${#kept[@]})) || die "BENCH_PROFILES=$BENCH_PROFILES selects no profile"
  CASES=("${kept[@]}")
fi

# The reading before a measured run.
measure_start() {
  before=$(cpu_ticks)
  read -r busy0 total0 <<<"$(cpu_line "$SERVER_CPU")"
}

printf 'round\tprofile\tconns\tserver\trequests\tseconds\treq_per_s\tcpu_ticks\tcpu_us_per_req\tpeak_rss_kib\terrors\tcpu0_other_pct\n' >"$RUNS"
runs_total=0
for c in "${CASES[@]}"; do set -- $c; runs_total=$((runs_total + $# - 2)); done
runs_total=$((runs_total * ROUNDS))
note "$ROUNDS round(s) x $runs_total/$ROUNDS runs, ${SECONDS_PER_RUN}s each after a ${WARMUP}s warm-up"

n=0
for ((round = 1; round <= ROUNDS; round++)); do
  for c in "${CASES[@]}"; do
    read -r profile conns servers <<<"$c"
    # limited-get: the floor closes after 10 answers per connection, as mote does on request.
    # echo-ws: the floor answers the upgrade and echoes canned frames.
    case $profile in
      limited-get) FLOOR_ARG=10 ;;
      echo-ws) FLOOR_ARG=ws ;;
      *) FLOOR_ARG= ;;
    esac
    for server in $servers; do
      n=$((n + 1))
      start_server "$server"
      if [[ $profile == h2c ]]; then
        check_h2c "$server"
        run_h2load "$conns" -D "$WARMUP" "$TMP/warmup.txt"
        read -r _ _ warm_rps _ <<<"$(parse_h2load "$TMP/warmup.txt")"
        # SECONDS_PER_RUN at the warm-up's rate, at least 400 requests per connection (4 rounds of
        # its 100 streams), in whole requests per connection.
        count=$(awk -v r="$warm_rps" -v s="$SECONDS_PER_RUN" -v c="$conns" \
          'BEGIN { n = int(r * s / c) + 1; if (n < 400) n = 400; printf "%d", n * c }')
        sleep 0.2 # let the warm-up connections' close be handled before the first reading
        measure_start
        run_h2load "$conns" -n "$count" "$TMP/wrk.txt"
        parse=parse_h2load
      elif [[ $profile == echo-ws ]]; then
        run_wsload "$conns" "$WARMUP" "$TMP/warmup.txt"
        sleep 0.2 # let the warm-up connections' close be handled before the first reading
        run_wsload "$conns" "$SECONDS_PER_RUN" "$TMP/wrk.txt" measure_start
        parse=parse_wsload
      else
        run_wrk "$profile" "$conns" "$WARMUP" "$TMP/warmup.txt"
        sleep 0.2 # let the warm-up connections' close be handled before the first reading
        measure_start
        run_wrk "$profile" "$conns" "$SECONDS_PER_RUN" "$TMP/wrk.txt"
        parse=parse_wrk
      fi
      sleep 0.2 # count the server's handling of the final closes as part of the run
      after=$(cpu_ticks)
      read -r busy1 total1 <<<"$(cpu_line "$SERVER_CPU")"
      rss=$(peak_rss_kib)
      stop_server
      read -r requests secs rps errors <<<"$($parse "$TMP/wrk.txt")"
      ((requests > 0)) || { cat "$TMP/wrk.txt" >&2; die "$server answered nothing ($profile, $conns)"; }
      ticks=$((after - before))
      # CPU 0 time spent by other processes while the server was measured (user+system, not softirq).
      other=$(awk -v b=$((busy1 - busy0)) -v s="$ticks" -v t=$((total1 - total0)) \
        'BEGIN { o = (b - s) / (t > 0 ? t : 1) * 100; printf "%.1f", o < 0 ? 0 : o }')
      us=$(awk -v t="$ticks" -v hz="$TCK" -v r="$requests" 'BEGIN { printf "%.4f", t * 1e6 / hz / r }')
      printf '%d\t%s\t%d\t%s\t%d\t%s\t%s\t%d\t%s\t%d\t%d\t%s\n' \
        "$round" "$profile" "$conns" "$server" "$requests" "$secs" "$rps" "$ticks" "$us" "$rss" "$errors" "$other" >>"$RUNS"
      printf 'bench: [%d/%d] %-12s %4d %-5s %10.0f req/s %7.3f us/req %6d KiB %d errors (others on CPU %d: %s%%)\n' \
        "$n" "$runs_total" "$profile" "$conns" "$server" "$rps" "$us" "$rss" "$errors" "$SERVER_CPU" "$other" >&2
    done
  done
done

WALL=$(($(date +%s) - START))
MODE=$([[ $QUICK == 1 ]] && echo quick || echo full)
awk -F'\t' -v mode="$MODE" -v rounds="$ROUNDS" -v secs="$SECONDS_PER_RUN" -v wall="$WALL" \
  -v host="$(uname -r), $(nproc) CPUs" -f "$BENCH/report.awk" "$RUNS" | tee "$OUT/latest.md"
