# Shared by bench/run.sh and bench/syscalls.sh (sourced, not run).
# Servers run pinned to CPU 0, wrk (h2load for h2c) to CPU 1, everything on 127.0.0.1.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
MOTE_BIN="${MOTE_BIN:-$ROOT/target/mote}"
FLOOR_BIN="$ROOT/target/bench/floor"
WSLOAD_BIN="$ROOT/target/bench/wsload"
SERVER_CPU=0
CLIENT_CPU=1
export MOTE_BENCH_LUA="$BENCH/wrk"
export MOTE_BENCH_REQUESTS="${MOTE_BENCH_REQUESTS:-$ROOT/tests/data/arena-requests}"

SERVER_PID=""
SERVER_LOG=""
H2_PORT=""
NEXT_PORT=$((20000 + RANDOM % 5000))
TMP=$(mktemp -d /tmp/mote-bench.XXXXXX)

cleanup() {
  stop_server
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

# Installs the Debian packages that provide missing commands; `apt-get update` only when needed.
ensure_packages() { # command:package ...
  local want=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || [[ -x "/usr/sbin/${pair%%:*}" ]] || want+=("${pair#*:}")
  done
  ((${#want[@]})) || return 0
  note "installing ${want[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >/dev/null
}

# Builds a single-file bench program (std only) when its source is newer than the binary.
build_rs() { # source binary
  command -v rustc >/dev/null || die "rustc not found (needed for $1)"
  if [[ ! -x "$2" || "$1" -nt "$2" ]]; then
    mkdir -p "$(dirname "$2")"
    rustc -O --edition 2021 "$1" -o "$2"
  fi
}

build_floor() { build_rs "$BENCH/floor.rs" "$FLOOR_BIN"; }
build_wsload() { build_rs "$BENCH/wsload.rs" "$WSLOAD_BIN"; }

raise_fd_limit() {
  local hard
  hard=$(ulimit -Hn)
  [[ "$hard" == unlimited ]] && hard=65536
  ulimit -n "$hard"
  (( hard >= 4096 + 64 )) || die "fd hard limit $hard is too low for 4096 connections"
}

nginx_conf() { # dir port
  mkdir -p "$1/logs"
  cat >"$1/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
worker_rlimit_nofile 20000;
events {
    worker_connections 16384;
    use epoll;
    accept_mutex off;
}
http {
    access_log off;
    server_tokens off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    default_type text/plain;
    client_body_temp_path $1/body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    server {
        listen 127.0.0.1:$2 backlog=4096;
        location = /baseline11 { return 200 "55"; }
        location = /pipeline { return 200 "ok"; }
    }
}
EOF
}

# h2o for the h2c profile: one worker thread, a plain listener (h2o takes HTTP/2 with prior
# knowledge on it: it recognises the connection preface), no access log (none without an
# `access-log` directive; errors go to stderr), max-connections raised from its default 1024 for
# the 4,096-connection case, the file `baseline2` holding `2` served as text/plain (the query is
# ignored, as for any static file; h2o answers from its open-file cache). Run as root,
# h2o would switch to `nobody`, who cannot read the private $TMP: it keeps root's identity then
# (`user: root`); run as anyone else it stays who it is. It raises its own fd limit to 20000.
h2o_conf() { # dir port
  mkdir -p "$1/www"
  printf 2 >"$1/www/baseline2"
  {
    if [[ $(id -u) == 0 ]]; then echo "user: root"; fi
    cat <<EOF
num-threads: 1
max-connections: 16384
file.mime.setdefaulttype: "text/plain"
listen:
  host: 127.0.0.1
  port: $2
hosts:
  default:
    paths:
      /:
        file.dir: $1/www
EOF
  } >"$1/h2o.conf"
}

# Starts a fresh server on fresh ports; sets SERVER_PID, PORT (HTTP/1.1) and H2_PORT (HTTP/2
# cleartext: mote's --h2c-port, h2o's only listener). Waits until it accepts on its ports.
start_server() { # mote|nginx|floor|h2o
  PORT=$NEXT_PORT
  H2_PORT=$((NEXT_PORT + 1))
  NEXT_PORT=$((NEXT_PORT + 2))
  SERVER_LOG="$TMP/$1.$PORT.log"
  local ports=("$PORT")
  case "$1" in
    mote)
      taskset -c "$SERVER_CPU" "$MOTE_BIN" --port "$PORT" --h2c-port "$H2_PORT" --threads 1 >"$SERVER_LOG" 2>&1 &
      ports+=("$H2_PORT")
      ;;
    # FLOOR_ARG: a count of answers after which it closes, or `ws` (see bench/floor.rs).
    floor) taskset -c "$SERVER_CPU" "$FLOOR_BIN" "$PORT" ${FLOOR_ARG:-} >"$SERVER_LOG" 2>&1 & ;;
    nginx)
      local dir="$TMP/nginx.$PORT"
      nginx_conf "$dir" "$PORT"
      local nginx
      nginx=$(command -v nginx || echo /usr/sbin/nginx)
      taskset -c "$SERVER_CPU" "$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" >"$SERVER_LOG" 2>&1 &
      ;;
    # h2o's default mode (`worker`) serves in the process started here, with no master; its main
    # thread, its one worker thread and its idle crash-handler child (perl, reading a pipe) are
    # all counted by cpu_ticks, which sums the process and its descendants.
    h2o)
      local dir="$TMP/h2o.$H2_PORT"
      h2o_conf "$dir" "$H2_PORT"
      taskset -c "$SERVER_CPU" h2o -c "$dir/h2o.conf" >"$SERVER_LOG" 2>&1 &
      ports=("$H2_PORT")
      ;;
    *) die "unknown server $1" ;;
  esac
  SERVER_PID=$!
  local i p=0
  for ((i = 0; i < 100; i++)); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      cat "$SERVER_LOG" >&2
      die "$1 exited during start-up"
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/${ports[p]}") 2>/dev/null; then
      p=$((p + 1))
      if ((p == ${#ports[@]})); then
        check_affinity "$1"
        return 0
      fi
      continue
    fi
    sleep 0.05
  done
  cat "$SERVER_LOG" >&2
  die "$1 did not accept on port(s) ${ports[*]} within 5 s"
}

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 40; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# The server's processes: its PID and every descendant (threads are covered by each /proc/PID/stat).
server_pids() {
  local queue=("$SERVER_PID") pid kids
  while ((${#queue[@]})); do
    pid=${queue[0]}
    queue=("${queue[@]:1}")
    [[ -d "/proc/$pid" ]] || continue
    echo "$pid"
    kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
    # shellcheck disable=SC2206
    [[ -n "$kids" ]] && queue+=($kids)
  done
}

# utime + stime (fields 14 and 15 of /proc/PID/stat, clock ticks) summed over the server's processes.
cpu_ticks() {
  local total=0 pid stat rest
  for pid in $(server_pids); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    rest=${stat##*) } # fields from 3 on; the command name may hold spaces
    # shellcheck disable=SC2086
    set -- $rest
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

# "busy total" ticks of one CPU from /proc/stat (busy = user + nice + system).
cpu_line() { # cpu-number
  awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print $2 + $3 + $4, t }' /proc/stat
}

# VmHWM in KiB. A leader that has exited while its threads run shows no VmHWM; ask its threads then.
peak_rss_kib() {
  local kib
  kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || true)
  if [[ -z "$kib" ]]; then
    kib=$(awk '/^VmHWM:/ {if ($2 > m) m = $2} END {print m + 0}' /proc/"$SERVER_PID"/task/*/status 2>/dev/null || echo 0)
  fi
  echo "${kib:-0}"
}

check_affinity() { # name
  local pid tid cpus
  for pid in $(server_pids); do
    for tid in /proc/"$pid"/task/*; do
      cpus=$(awk '/^Cpus_allowed_list:/ {print $2}' "$tid/status" 2>/dev/null || true)
      if [[ -n "$cpus" && "$cpus" != "$SERVER_CPU" ]]; then
        note "warning: $1 task ${tid##*/} may run on CPUs $cpus (wanted $SERVER_CPU)"
      fi
    done
  done
}

# Runs wrk with a profile's request shape; output to file. Bounded by -d plus wrk's own timeout.
run_wrk() { # profile conns seconds outfile
  local url="http://127.0.0.1:$PORT" script=()
  case "$1" in
    get-only) url="$url/baseline11?a=13&b=42" ;;
    baseline) script=(-s "$BENCH/wrk/baseline.lua"); url="$url/" ;;
    pipelined) script=(-s "$BENCH/wrk/pipelined.lua"); url="$url/" ;;
    limited-conn) script=(-s "$BENCH/wrk/limited.lua"); url="$url/" ;;
    limited-get) script=(-s "$BENCH/wrk/limited-get.lua"); url="$url/" ;;
    *) die "unknown profile $1" ;;
  esac
  local ok=1
  timeout $(($3 + 30)) taskset -c "$CLIENT_CPU" wrk -t1 -c"$2" -d"$3"s --timeout 4s "${script[@]}" "$url" >"$4" 2>&1 || ok=0
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    tail -n 20 "$SERVER_LOG" >&2
    die "the server (pid $SERVER_PID) died during wrk ($1, $2 connections); its output is above"
  fi
  ((ok)) || { cat "$4" >&2; die "wrk failed ($1, $2 connections)"; }
}

# From wrk's output: "requests seconds req_per_s errors" (errors = socket errors + non-2xx/3xx).
parse_wrk() { # file
  awk '
    / requests in / { req = $1; secs = $4; sub(/s,?$/, "", secs) }
    /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { v = $i; sub(/,/, "", v); err += v } }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /^Requests\/sec:/ { rps = $2 }
    END { printf "%d %s %s %d\n", req, secs, rps, err }
  ' "$1"
}

# Runs bench/wsload (the echo-ws load) pinned like wrk; output to file. It upgrades every
# connection first, then waits: the optional command runs at that point (to take the server's
# CPU reading), and the measured run begins when it returns.
run_wsload() { # conns seconds outfile [command]
  local ready="$TMP/wsload.ready" go="$TMP/wsload.go" pid i ok=1
  rm -f "$ready" "$go"
  mkfifo "$go"
  timeout $(($2 + 60)) taskset -c "$CLIENT_CPU" "$WSLOAD_BIN" "$PORT" "$1" "$2" --ready "$ready" --go "$go" >"$3" 2>&1 &
  pid=$!
  for ((i = 0; i < 600; i++)); do
    [[ -e "$ready" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -e "$ready" ]]; then
    if (($# >= 4)); then "$4"; fi
    echo go >"$go"
  fi
  wait "$pid" || ok=0
  rm -f "$ready" "$go"
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    tail -n 20 "$SERVER_LOG" >&2
    die "the server (pid $SERVER_PID) died during wsload ($1 connections); its output is above"
  fi
  ((ok)) || { cat "$3" >&2; die "wsload failed ($1 connections)"; }
}

# From wsload's output: "echoes seconds echoes_per_s errors", as parse_wrk's.
parse_wsload() { # file
  awk '
    $1 == "echoes" { n = $2 }
    $1 == "seconds" { secs = $2 }
    $1 == "echoes/s" { rate = $2 }
    $1 == "errors" { err = $2 }
    END { printf "%d %s %s %d\n", n, secs, rate, err }
  ' "$1"
}

# The h2c request: mote's /baseline2 route, h2o's static file of the same name.
h2c_url() { echo "http://127.0.0.1:$H2_PORT/baseline2?a=1&b=1"; }

# One request with curl over HTTP/2 with prior knowledge: the server must answer 200 with `2`
# (a server that took the preface for HTTP/1.1 would fail here, before any measurement).
check_h2c() { # name
  local body
  body=$(curl -sS --fail --max-time 5 --http2-prior-knowledge "$(h2c_url)" 2>&1) ||
    die "$1 did not answer over h2c on port $H2_PORT: $body"
  [[ "$body" == 2 ]] || die "$1 answered '$body' over h2c on port $H2_PORT (wanted 2)"
}

# Runs h2load (HTTP/2 with prior knowledge: -p h2c, its default for http:// URIs) against the h2c
# port: one thread, 100 streams per connection, pinned like wrk; output to file. The run's length
# is `-D S` (a duration: the warm-up) or `-n N` (a request count: the measured run). The measured
# run uses a count so that every request it makes is answered and counted: a timed run stops with
# each connection's 100 streams in flight (409,600 at 4,096 connections), many of them already
# answered on the server's CPU time but not counted (about 5% too much CPU per response at 1,024
# connections in 3 s runs). -N 4s: a connection silent for 4 s is given up (as wrk's --timeout 4s),
# so a stuck server shows as errors rather than a hang.
run_h2load() { # conns -D|-n value outfile
  local ok=1
  timeout $((${SECONDS_PER_RUN:-5} * 10 + 60)) taskset -c "$CLIENT_CPU" \
    h2load -p h2c -t 1 -c "$1" -m 100 "$2" "$3" -N 4s "$(h2c_url)" >"$4" 2>&1 || ok=0
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    tail -n 20 "$SERVER_LOG" >&2
    die "the server (pid $SERVER_PID) died during h2load ($1 connections); its output is above"
  fi
  ((ok)) || { tail -n 20 "$4" >&2; die "h2load failed ($1 connections)"; }
}

# From h2load's output: "requests seconds req_per_s errors", as parse_wrk's. Requests: responses
# with a status (the `status codes:` line, any class). Errors: `failed` (it already holds the
# errored and timed-out requests, and 4xx/5xx answers) plus 3xx answers, so anything but a 2xx.
parse_h2load() { # file
  awk '
    /^finished in / {
      secs = $3; sub(/,$/, "", secs); rps = $4
      if (secs ~ /us$/) secs = substr(secs, 1, length(secs) - 2) / 1e6
      else if (secs ~ /ms$/) secs = substr(secs, 1, length(secs) - 2) / 1e3
      else sub(/s$/, "", secs)
    }
    /^requests: / { for (i = 2; i < NF; i++) if ($(i + 1) ~ /^failed/) failed = $i }
    /^status codes: / { req = $3 + $5 + $7 + $9; other = $5 }
    END { printf "%d %s %s %d\n", req, secs, rps, failed + other }
  ' "$1"
}
