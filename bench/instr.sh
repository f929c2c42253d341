#!/usr/bin/env bash
# Instructions per request: mote under callgrind with the bench's load (make instr).
#
#   bash bench/instr.sh
#
# One mote (the unstripped build, so callgrind names its functions; --threads 1, a random port,
# pinned to CPU 0) runs under `valgrind --tool=callgrind` for the whole script. A fixed-count load
# (bench/instr_load.py, pinned to CPU 1) drives it through the arena's profiles and then through
# two trickled requests, each sent whole and in 64-byte writes (each piece read by the server
# before the next is written, so every piece is one read), then HTTP/2 (h2load on the h2c port);
# every answer is checked.
#
# Isolating each measured phase: `callgrind_control --zero` just before the phase's load and
# `callgrind_control --dump` just after it, on the running process. Start-up, shutdown and the
# other phases never reach a phase's dump, and nothing is subtracted (a difference of two runs
# would carry both runs' noise). The load returns only when every answer is in and the server has
# closed its side of every connection, so the dump holds exactly the phase's work, closes included.
# The only work in a dump that its load did not cause is the once-a-second Date refresh (a few
# hundred instructions per second of run), far below 1% of any figure here. The counts are of
# instructions, not time: a busy machine moves them only through how many connections each of
# mote's wake-ups finds ready, and the Date refresh. Two runs agree to within 0.2%.
#
# Ir per request = the dump's total (user-space instructions mote executed; the kernel's work is
# not counted) / the answers checked. Functions are ranked by self cost (instructions executed in
# the function's own code, not in what it calls; inlined code counts where it was inlined).
#
# Environment: MOTE_FULL_BIN another unstripped build; INSTR_SCALE multiplies the request counts.
# Prints the Markdown tables and writes them to bench/out/instr.md. About 15 s.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

case "${1:-}" in
  "") ;;
  -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
  *) die "unknown argument: $1" ;;
esac

MOTE_FULL="${MOTE_FULL_BIN:-$ROOT/target/x86_64-unknown-linux-gnu/release/mote}"
SCALE=${INSTR_SCALE:-1}
START=$(date +%s)

[[ -x "$MOTE_FULL" ]] || die "$MOTE_FULL not found: build it first (make static, or make instr)"
[[ -r "$MOTE_BENCH_REQUESTS/get.raw" ]] || die "arena request templates not found in $MOTE_BENCH_REQUESTS"
ensure_packages valgrind:valgrind callgrind_annotate:valgrind python3:python3 taskset:util-linux h2load:nghttp2-client
OUT="$BENCH/out"
mkdir -p "$OUT"

# phase (a profile of bench/instr_load.py) and its requests: the arena's profiles, then each
# trickled request whole and in 64-byte writes (the ratio is taken between the two).
PHASES=(
  "get $((30000 * SCALE))"
  "baseline $((30000 * SCALE))"
  "pipelined $((65536 * SCALE))"
  "limited-conn $((30000 * SCALE))"
  "body-whole $((20 * SCALE))"
  "body-64 $((20 * SCALE))"
  "head-whole $((20 * SCALE))"
  "head-64 $((20 * SCALE))"
  "h2c $((100000 * SCALE))"
)
CONNS=64

CG="$TMP/callgrind.out"
PORT=$NEXT_PORT
H2_PORT=$((NEXT_PORT + 1))
SERVER_LOG="$TMP/mote.log"
taskset -c "$SERVER_CPU" valgrind --tool=callgrind --callgrind-out-file="$CG" \
  "$MOTE_FULL" --port "$PORT" --h2c-port "$H2_PORT" --threads 1 >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
for ((i = 0; i < 300; i++)); do
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; die "mote exited during start-up under callgrind"; }
  grep -q 'listening on' "$SERVER_LOG" && break
  sleep 0.1
done
grep -q 'listening on' "$SERVER_LOG" || { cat "$SERVER_LOG" >&2; die "mote did not listen within 30 s under callgrind"; }
# (Valgrind warns once that the worker's raw clone stack is unmapped at its start: harmless.)
BANNER=$(grep -m1 'listening on' "$SERVER_LOG" | sed 's/^==[0-9]*== //')
note "$BANNER, under callgrind (pid $SERVER_PID)"

control() { # option: runs callgrind_control on the server and checks it answered
  local out
  out=$(callgrind_control "$1" "$SERVER_PID" 2>&1) || { echo "$out" >&2; die "callgrind_control $1 failed"; }
  grep -q 'OK' <<<"$out" || { echo "$out" >&2; die "callgrind_control $1: no answer from pid $SERVER_PID"; }
}

# "Ir-per-request;top functions" for one dump: self cost per request of the 8 costliest functions.
# callgrind records the raw clone thread's start as a call counted 0 times, and callgrind_annotate
# then books the whole thread's cost as the caller's own: counting that call once puts it right.
summarise() { # dump responses
  sed 's/^calls=0 /calls=1 /' "$1" >"$1.fixed"
  callgrind_annotate --threshold=100 --inclusive=no "$1.fixed" >"$1.txt"
  awk -v r="$2" '
    function commas(x,    s) { s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
    /PROGRAM TOTALS/ { t = $1; gsub(/,/, "", t) }
    /file:function/ { list = 1; next }
    list && $0 ~ /^ *[0-9][0-9,]* \( *[0-9.]+%\)  / && n < 8 {
      c = $1; gsub(/,/, "", c)
      name = $0; sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, "", name); sub(/ \[[^]]*\]$/, "", name)
      if (match(name, /^[^:]+:[^:]/)) name = substr(name, RLENGTH) # the file (??? without debug info)
      if (name !~ /</) { k = split(name, part, "::"); if (k > 2) name = part[k - 1] "::" part[k] }
      top = top (n ? ", " : "") "`" name "` " commas(c / r)
      n++
    }
    END { printf "%s;%s;%s\n", t, t / r, top }
  ' "$1.txt"
}

# The h2c phase: h2load (16 connections, 100 streams each) for exactly REQUESTS GETs of
# /baseline2; every one must be a 2xx. h2load closes its connections before it exits; a moment's
# wait lets mote finish their closes inside the phase. Prints what instr_load.py prints.
h2c_load() { # requests
  local out
  out=$(taskset -c "$CLIENT_CPU" h2load -c 16 -m 100 -t 1 -n "$1" "http://127.0.0.1:$H2_PORT/baseline2?a=1&b=1") ||
    { echo "$out" >&2; return 1; }
  grep -q "^status codes: $1 2xx" <<<"$out" || { echo "$out" >&2; return 1; }
  sleep 0.3
  echo "responses $1 bytes 0"
}

RESULTS="$TMP/results.tsv"
: >"$RESULTS"
dumps=0
for p in "${PHASES[@]}"; do
  read -r name requests <<<"$p"
  control --zero
  if [[ $name == h2c ]]; then
    load=$(h2c_load "$requests") || { tail -n 20 "$SERVER_LOG" >&2; die "the load failed ($name)"; }
  else
    load=$(taskset -c "$CLIENT_CPU" python3 "$BENCH/instr_load.py" "$PORT" "$name" "$requests" "$CONNS") ||
      { tail -n 20 "$SERVER_LOG" >&2; die "the load failed ($name)"; }
  fi
  control --dump
  dumps=$((dumps + 1))
  dump="$CG.$dumps" # callgrind numbers its dumps from 1
  for ((i = 0; i < 100; i++)); do
    [[ -s "$dump" ]] && grep -q '^totals:\|^summary:' "$dump" && break
    sleep 0.05
  done
  [[ -s "$dump" ]] || die "no dump $dump after the $name phase"
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$SERVER_LOG" >&2; die "mote died in the $name phase"; }
  read -r _ responses _ bytes <<<"$load"
  IFS=';' read -r total per top <<<"$(summarise "$dump" "$responses")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$responses" "$bytes" "$total" "$per" "$top" >>"$RESULTS"
  printf 'instr: %-12s %6d requests %10.0f Ir/request\n' "$name" "$responses" "$per" >&2
done
stop_server

WALL=$(($(date +%s) - START))
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || COMMIT="$COMMIT+changes"
awk -F'\t' -v banner="$(sed "s/^mote //; s/ listening on [^ ]*//" <<<"$BANNER")" -v commit="$COMMIT" -v conns="$CONNS" -v wall="$WALL" '
  function commas(x,    s) { s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
  { req[$1] = $2; bytes[$1] = $3; per[$1] = $5; top[$1] = $6; order[NR] = $1 }
  END {
    label["get"] = "get"
    label["baseline"] = "baseline"
    label["pipelined"] = "pipelined (16 deep)"
    label["limited-conn"] = "limited-conn"
    label["body-whole"] = "chunked body, whole"
    label["body-64"] = "chunked body, 64-byte writes"
    label["head-whole"] = "long head, whole"
    label["head-64"] = "long head, 64-byte writes"
    label["h2c"] = "h2c (h2load, 16 conns, 100 streams)"
    printf "## Instructions per request (callgrind)\n\n"
    printf "mote %s, commit %s, under callgrind; load from\n", banner, commit
    printf "bench/instr_load.py on %d keep-alive connections (the trickled requests: one; h2c: h2load on 16\n", conns
    printf "connections with 100 streams each). Ir per request =\n"
    printf "user-space instructions mote executed between callgrind_control --zero and --dump around the\n"
    printf "phase / answers checked. Functions: self cost per request (inlined code counts where it was\n"
    printf "inlined).\n\n"
    printf "| profile | requests | Ir per request | top 8 functions, self Ir per request |\n"
    printf "| --- | ---: | ---: | --- |\n"
    for (i = 1; i <= NR; i++) {
      n = order[i]
      printf "| %s | %d | %s | %s |\n", (n in label ? label[n] : n), req[n], commas(per[n]), top[n]
    }
    printf "\n### Trickled requests\n\n"
    printf "The same request sent whole and in 64-byte writes, each read by the server before the next\n"
    printf "is sent. A server that keeps its parse state across reads pays little for the pieces.\n\n"
    printf "| request | bytes | Ir/req whole | Ir/req in 64-byte writes | ratio | target | status |\n"
    printf "| --- | ---: | ---: | ---: | ---: | ---: | --- |\n"
    trickle("body", "POST /baseline11, chunked body of 2,500 one-byte chunks")
    trickle("head", "GET /baseline11 with 100 extra header lines")
    printf "\nWall time: %d s.\n", wall
  }
  function trickle(k, what,    w, s, r) {
    w = per[k "-whole"]; s = per[k "-64"]
    if (w == "" || s == "" || w + 0 == 0) { printf "| %s | n/a | | | | ≤ 2× | n/a |\n", what; return }
    r = s / w
    printf "| %s | %s | %s | %s | %.1f× | ≤ 2× | %s |\n", what, commas(bytes[k "-whole"] / req[k "-whole"]), commas(w), commas(s), r, (r <= 2 ? "met" : "**missed**")
  }
' "$RESULTS" | tee "$OUT/instr.md"
