#!/usr/bin/env bash
# The container test (`make docker-test`, run by CI after `make test`): mote as it ships, in its
# FROM scratch image. Checks, in order:
#   - the image builds from the Dockerfile, and `docker save` of it holds exactly one layer whose
#     tar holds exactly one entry, the regular file `mote` (root-owned, executable), equal byte
#     for byte to target/mote: nothing but the binary;
#   - `docker run --network host IMAGE --port PORT --h2c-port PORT2` starts, prints its banner
#     (`mote ... listening on 0.0.0.0:PORT, h2c on 0.0.0.0:PORT2`) and answers over curl:
#     GET /baseline11?a=13&b=42 -> 55, POST with Content-Length body 20 -> 75, POST with a chunked
#     body 20 -> 75, GET /pipeline -> ok; over HTTP/2 with prior knowledge on PORT2,
#     GET /baseline2?a=13&b=42 -> 55 and POST 20 -> 75; each 200, text/plain, Server: mote;
#   - `docker stop` (SIGTERM) ends it with exit status 0 in under STOP_LIMIT_MS (500 ms).
# Daemon: if `docker info` answers, that daemon is used. Otherwise the script starts its own
# dockerd (installing docker.io first if needed) with its own socket, data root, exec root and
# pid file under a temp dir, so it never meets another daemon, and stops exactly that daemon on
# exit. Where no daemon can be had it says so in one line and fails: it never skips.
# Every exit path removes the container, the image and anything the script started.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=target/mote
STOP_LIMIT_MS=${STOP_LIMIT_MS:-500}
TAG="mote-test:$(date +%s)-$$"
NAME="mote-test-$(date +%s)-$$"

say() { printf 'docker-test: %s\n' "$*"; }
fail() { printf 'docker-test: FAIL: %s\n' "$*" >&2; exit 1; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

[[ -x $BIN ]] || fail "$BIN is missing: run \`make static\` first (or \`make docker-test\`)"

# ---------------------------------------------------------------------------------------------
# Clean-up, on every exit path
# ---------------------------------------------------------------------------------------------

work=""          # our temp dir (docker save output; our daemon's state, if we start one)
dockerd_pid=""   # the daemon we started, if any
dockerd_kids=""  # its children (its containerd), in case it has to be killed hard
have_image=""
have_container=""

cleanup() {
  local rc=$?
  set +e
  if [[ -n $have_container ]]; then docker rm -f "$NAME" >/dev/null 2>&1; fi
  if [[ -n $have_image ]]; then docker rmi -f "$TAG" >/dev/null 2>&1; fi
  if [[ -n $dockerd_pid ]]; then
    kill "$dockerd_pid" 2>/dev/null
    local i
    for ((i = 0; i < 150; i++)); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$dockerd_pid" 2>/dev/null; then
      say "dockerd (pid $dockerd_pid) did not stop within 15 s: killing it"
      kill -9 "$dockerd_pid" 2>/dev/null
    fi
    wait "$dockerd_pid" 2>/dev/null
    # A dockerd that stops in order takes its containerd with it; one killed hard does not.
    local kid
    for kid in $dockerd_kids; do
      if kill -0 "$kid" 2>/dev/null; then kill -9 "$kid" 2>/dev/null; fi
    done
  fi
  if [[ -n $work && -d $work ]]; then
    # dockerd bind-mounts its data root onto itself and unmounts it when it stops in order.
    local m
    awk -v w="$work" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null
    done
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Unix socket paths are limited to 108 bytes, so this stays in /tmp whatever TMPDIR says.
work=$(mktemp -d /tmp/mote-docker.XXXXXX)

# ---------------------------------------------------------------------------------------------
# Tools and a daemon
# ---------------------------------------------------------------------------------------------

apt_install() {
  if [[ $(id -u) != 0 ]]; then return 1; fi
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq "$@"; } >"$work/apt.log" 2>&1
}

need=()
command -v curl >/dev/null || need+=(curl)
if ! command -v docker >/dev/null || { ! docker info >/dev/null 2>&1 && ! command -v dockerd >/dev/null; }; then
  need+=(docker.io)
fi
if ((${#need[@]})); then
  say "installing ${need[*]}"
  if ! apt_install "${need[@]}"; then
    if [[ " ${need[*]} " == *" docker.io "* ]]; then
      fail "no Docker daemon: none answers and docker.io could not be installed (apt-get failed or not root)"
    fi
    fail "cannot install ${need[*]} (apt-get failed or not root)"
  fi
fi

if docker info >/dev/null 2>&1; then
  say "using the Docker daemon that answers ($(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?'))"
else
  [[ $(id -u) == 0 ]] || fail "no Docker daemon: none answers and starting one needs root"
  # Our own daemon, sharing nothing with any other: socket, state, pid file and config are ours.
  unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
  export DOCKER_HOST="unix://$work/docker.sock"
  echo '{}' >"$work/daemon.json"
  t0=$(date +%s%N)
  dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
    --config-file "$work/daemon.json" --data-root "$work/data" --exec-root "$work/exec" \
    --pidfile "$work/docker.pid" --host "$DOCKER_HOST" >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for ((i = 0; ; i++)); do
    if docker info >/dev/null 2>&1; then break; fi
    if ! kill -0 "$dockerd_pid" 2>/dev/null; then
      wait "$dockerd_pid" 2>/dev/null || true
      dockerd_pid=""
      fail "no Docker daemon: dockerd exited during start-up ($(tail -n 1 "$work/dockerd.log"))"
    fi
    if ((i >= 300)); then
      fail "no Docker daemon: dockerd did not answer within 30 s ($(tail -n 1 "$work/dockerd.log"))"
    fi
    sleep 0.1
  done
  dockerd_kids=$(ps -o pid= --ppid "$dockerd_pid" || true)
  say "started dockerd (pid $dockerd_pid) on $DOCKER_HOST in $(ms_since "$t0") ms"
fi

# ---------------------------------------------------------------------------------------------
# The image: one layer holding one file, the binary
# ---------------------------------------------------------------------------------------------

t0=$(date +%s%N)
have_image=1
docker build -q -t "$TAG" . >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "docker build failed"; }
build_ms=$(ms_since "$t0")
say "built $TAG in $build_ms ms"

layers=$(docker image inspect -f '{{len .RootFS.Layers}}' "$TAG")
[[ $layers == 1 ]] || fail "the image has $layers layers, want 1"

mkdir "$work/save"
docker save -o "$work/save/image.tar" "$TAG"
tar -xf "$work/save/image.tar" -C "$work/save"
# manifest.json: one image, and its "Layers" list, e.g. ["<id>/layer.tar"] or ["blobs/sha256/<hex>"].
manifest=$(cat "$work/save/manifest.json")
images=$(grep -o '"Config"' <<<"$manifest" | wc -l)
[[ $images == 1 ]] || fail "docker save holds $images images, want 1: $manifest"
mapfile -t saved < <(sed -e 's/.*"Layers":\[//' -e 's/\].*//' <<<"$manifest" | tr ',' '\n' | tr -d '"' | grep .)
[[ ${#saved[@]} == 1 ]] || fail "docker save holds ${#saved[@]} layers, want 1: $manifest"
layer="$work/save/${saved[0]}"
[[ -f $layer ]] || fail "the layer ${saved[0]} named in manifest.json is not in the saved tar"
entries=$(tar -tf "$layer")
[[ $entries == mote ]] || fail "the layer holds $(wc -l <<<"$entries") entries, want only \`mote\`: $(tr '\n' ' ' <<<"$entries")"
read -r perms owner _ < <(tar --numeric-owner -tvf "$layer")
[[ $perms == -rwx* && $owner == 0/0 ]] || fail "mote in the layer is $perms $owner, want a regular file, executable, owned 0/0"
mkdir "$work/layer"
tar -xf "$layer" -C "$work/layer"
cmp -s "$work/layer/mote" "$BIN" || fail "mote in the layer differs from $BIN"
say "image: 1 layer, 1 file (mote, $(stat -c %s "$BIN") bytes, equal to $BIN)"

# ---------------------------------------------------------------------------------------------
# Run it on a free port
# ---------------------------------------------------------------------------------------------

# Local TCP ports in use (any state, IPv4 and IPv6) in this network namespace, which
# --network host shares.
ports_in_use() {
  local f sl local_addr _
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r $f ]] || continue
    while read -r sl local_addr _; do
      [[ $sl == sl ]] && continue
      echo $((16#${local_addr##*:}))
    done <"$f"
  done
}

# A port below the usual ephemeral range (32768-60999) that nothing uses. mote binds with
# SO_REUSEPORT, so a port held by another SO_REUSEPORT socket of the same user would be shared
# silently rather than refused: hence the look at what is in use, not just a bind attempt.
free_port() {
  local used port
  used=" $(ports_in_use | tr '\n' ' ') "
  while :; do
    port=$((20000 + RANDOM % 12000))
    [[ $used == *" $port "* ]] || { echo "$port"; return; }
  done
}

url=""
for attempt in 1 2 3 4 5; do
  port=$(free_port)
  h2c_port=$(free_port)
  [[ $h2c_port != "$port" ]] || continue
  t0=$(date +%s%N)
  have_container=1
  docker run -d --network host --name "$NAME" "$TAG" --port "$port" --h2c-port "$h2c_port" >/dev/null
  up=""
  deadline=$((t0 + 5000000000))
  while (($(date +%s%N) < deadline)); do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/pipeline"; then up=1; break; fi
    [[ $(docker inspect -f '{{.State.Running}}' "$NAME") == true ]] || break
    sleep 0.05
  done
  if [[ -n $up ]]; then
    run_ms=$(ms_since "$t0")
    url="http://127.0.0.1:$port"
    break
  fi
  if [[ $(docker inspect -f '{{.State.Running}}' "$NAME") == true ]]; then
    docker logs "$NAME" >&2 2>&1 || true
    fail "the container runs but does not answer on port $port within 5 s"
  fi
  say "the container exited on port $port (attempt $attempt): $(docker logs "$NAME" 2>&1 | tail -n 1)"
  docker rm -f "$NAME" >/dev/null
  have_container=""
done
[[ -n $url ]] || fail "the container did not start on any of 5 ports"
say "container $NAME answers on $url, $run_ms ms after docker run"

logs=$(docker logs "$NAME" 2>&1)
grep -Eq "^mote [^ ]+ listening on 0\.0\.0\.0:$port, h2c on 0\.0\.0\.0:$h2c_port " <<<"$logs" \
  || fail "no banner \`mote ... listening on 0.0.0.0:$port, h2c on 0.0.0.0:$h2c_port\` in the container's log: $logs"
say "banner: $(grep -m 1 'listening on' <<<"$logs")"

# check WHAT WANT_BODY CURL_ARGS...: status 200, text/plain, Server: mote, exactly this body.
check() {
  local what=$1 want=$2
  shift 2
  local out status ctype server body
  out=$(curl -sS --max-time 5 -D "$work/head" -o "$work/body" -w '%{http_code} %{content_type}' "$@") \
    || fail "$what: curl failed"
  status=${out%% *}
  ctype=${out#* }
  server=$(tr -d '\r' <"$work/head" | sed -n 's/^[Ss]erver: *//p')
  body=$(cat "$work/body")
  [[ $status == 200 ]] || fail "$what: status $status, want 200"
  [[ $ctype == text/plain || $ctype == "text/plain;"* ]] || fail "$what: Content-Type '$ctype', want text/plain"
  [[ $server == mote ]] || fail "$what: Server '$server', want mote"
  [[ $body == "$want" ]] || fail "$what: body '$body', want '$want'"
  say "ok: $what -> 200 text/plain '$body'"
}

check "GET /baseline11?a=13&b=42" 55 "$url/baseline11?a=13&b=42"
check "POST /baseline11 (Content-Length) 20" 75 --data-binary 20 "$url/baseline11?a=13&b=42"
check "POST /baseline11 (chunked) 20" 75 -v --stderr "$work/chunked.trace" \
  -H 'Transfer-Encoding: chunked' --data-binary 20 "$url/baseline11?a=13&b=42"
# Make sure curl really sent the body chunked, not with a Content-Length.
if ! grep -qi '^> Transfer-Encoding: chunked' "$work/chunked.trace" || grep -qi '^> Content-Length' "$work/chunked.trace"; then
  fail "curl did not send the POST chunked: $(grep '^>' "$work/chunked.trace" | tr -d '\r' | tr '\n' ' ')"
fi
check "GET /pipeline" ok "$url/pipeline"
h2c="http://127.0.0.1:$h2c_port"
check "HTTP/2 GET /baseline2?a=13&b=42" 55 --http2-prior-knowledge "$h2c/baseline2?a=13&b=42"
check "HTTP/2 POST /baseline2 20" 75 --http2-prior-knowledge --data-binary 20 "$h2c/baseline2?a=13&b=42"
# Make sure those went over HTTP/2.
v=$(curl -sS --max-time 5 -o /dev/null -w '%{http_version}' --http2-prior-knowledge "$h2c/") || fail "HTTP/2 GET /: curl failed"
[[ $v == 2 ]] || fail "HTTP/2 GET /: HTTP version $v, want 2"

# ---------------------------------------------------------------------------------------------
# Stop: SIGTERM, exit status 0, quickly
# ---------------------------------------------------------------------------------------------

t0=$(date +%s%N)
docker stop -t 10 "$NAME" >/dev/null
stop_ms=$(ms_since "$t0")
read -r code oom finished < <(docker inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}} {{.State.FinishedAt}}' "$NAME")
# How much of that was mote itself: from the call to the exit the daemon recorded.
exit_ms=$(( ($(date -d "$finished" +%s%N 2>/dev/null || echo "$t0") - t0) / 1000000 ))
say "docker stop took $stop_ms ms (mote exited $exit_ms ms after the call); exit status $code"
[[ $code == 0 && $oom == false ]] || fail "the container exited with status $code (OOM-killed: $oom), want 0"
((stop_ms < STOP_LIMIT_MS)) || fail "docker stop took $stop_ms ms, want under $STOP_LIMIT_MS ms"

say "passed (build $build_ms ms, start $run_ms ms, stop $stop_ms ms)"
