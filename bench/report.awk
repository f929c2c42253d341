# Turns bench/out/runs.tsv into the Markdown report: medians per (profile, conns, server), errors
# summed over rounds, then the goals with their measured ratios.
# Variables: mode, rounds, secs, wall, host.

function median(key, field,    n, i, j, v, t) {
  n = count[key]
  for (i = 1; i <= n; i++) v[i] = val[key, field, i]
  for (i = 2; i <= n; i++) {
    t = v[i]
    for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
    v[j + 1] = t
  }
  if (n % 2) return v[(n + 1) / 2]
  return (v[n / 2] + v[n / 2 + 1]) / 2
}

function has(p, c, s) { return ((p SUBSEP c SUBSEP s) in count) }
function cpu(p, c, s) { return med[p, c, s, "cpu"] }

# The connection count of a measured (profile, server) closest to c (by ratio), or "" if none.
function nearest(p, s, c,    i, k, best, d, bd) {
  best = ""
  for (i = 1; i <= nkeys; i++) {
    k = keys[i]
    split(k, part, SUBSEP)
    if (part[1] != p || part[3] != s) continue
    d = part[2] > c ? part[2] / c : c / part[2]
    if (best == "" || d < bd) { best = part[2]; bd = d }
  }
  return best
}

# mote's CPU/req over h2c against its own over pipelined HTTP/1.1 at the same connection count,
# or the nearest measured one (named in the goal).
function h2c_vs_pipelined(c,    pc, name) {
  pc = nearest("pipelined", "mote", c)
  name = sprintf("CPU/req mote h2c %d / mote pipelined %s", c, (pc == "" ? c : pc))
  if (pc != "" && pc != c) name = name sprintf(" (nearest measured to %d)", c)
  goal(name, cpu("h2c", c, "mote"), (pc == "" ? "" : cpu("pipelined", pc, "mote")), 1.50)
}

function goal(name, num, den, limit,    r, status) {
  if (den == "" || num == "" || den + 0 == 0) {
    printf "| %s | n/a | ≤ %.2f× | n/a |\n", name, limit
    return
  }
  r = num / den
  status = (r <= limit + 1e-12) ? "met" : "**missed**"
  printf "| %s | %.2f× | ≤ %.2f× | %s |\n", name, r, limit, status
}

function ctx(name, num, den) {
  if (den == "" || num == "" || den + 0 == 0) {
    printf "| %s | n/a | | |\n", name
    return
  }
  printf "| %s | %.2f× | | |\n", name, num / den
}

# The worst of mote's HTTP/1.1 and WebSocket profiles at a connection count; h2c (up to 100
# streams in flight per connection) is shown apart, by rss_ctx.
function rss_goal(conns, limit_kib,    i, k, worst, where, status) {
  worst = -1
  for (i = 1; i <= nkeys; i++) {
    k = keys[i]
    split(k, part, SUBSEP)
    if (part[2] == conns && part[3] == "mote" && part[1] != "h2c" && med[k, "rss"] > worst) {
      worst = med[k, "rss"]
      where = part[1]
    }
  }
  if (worst < 0) {
    printf "| mote peak RSS at %s conns, HTTP/1.1 and ws | n/a | < %d KiB | n/a |\n", conns, limit_kib
    return
  }
  status = (worst < limit_kib) ? "met" : "**missed**"
  printf "| mote peak RSS at %s conns, HTTP/1.1 and ws (worst: %s) | %d KiB | < %d KiB | %s |\n", conns, where, worst, limit_kib, status
}

function rss_ctx(p, conns, other,    k, o) {
  k = p SUBSEP conns SUBSEP "mote"
  o = p SUBSEP conns SUBSEP other
  if (!(k in count)) {
    printf "| context: mote peak RSS, %s %s | n/a | | |\n", p, conns
    return
  }
  if (o in count)
    printf "| context: mote peak RSS, %s %s (%s: %d KiB) | %d KiB | | |\n", p, conns, other, med[o, "rss"], med[k, "rss"]
  else
    printf "| context: mote peak RSS, %s %s | %d KiB | | |\n", p, conns, med[k, "rss"]
}

function rss_case(p, conns, limit_kib,    k, status) {
  k = p SUBSEP conns SUBSEP "mote"
  if (!(k in count)) {
    printf "| mote peak RSS, %s %s | n/a | < %d KiB | n/a |\n", p, conns, limit_kib
    return
  }
  status = (med[k, "rss"] < limit_kib) ? "met" : "**missed**"
  printf "| mote peak RSS, %s %s | %d KiB | < %d KiB | %s |\n", p, conns, med[k, "rss"], limit_kib, status
}

NR == 1 { next }
{
  k = $2 SUBSEP $3 SUBSEP $4
  if (!(k in count)) keys[++nkeys] = k
  i = ++count[k]
  val[k, "rps", i] = $7
  val[k, "cpu", i] = $9
  val[k, "rss", i] = $10
  errors[k] += $11
  if (i == 1 || $9 < lo[k]) lo[k] = $9
  if (i == 1 || $9 > hi[k]) hi[k] = $9
  others++
  if ($12 > 5) busy++
  if ($12 > worst_other) worst_other = $12
}

END {
  for (i = 1; i <= nkeys; i++) {
    k = keys[i]
    med[k, "rps"] = median(k, "rps")
    med[k, "cpu"] = median(k, "cpu")
    med[k, "rss"] = median(k, "rss")
  }

  printf "## mote benchmark (%s: %d round%s × %d s, medians)\n\n", mode, rounds, (rounds == 1 ? "" : "s"), secs
  printf "Servers pinned to CPU 0 with one worker, wrk -t1 pinned to CPU 1, loopback; %s.\n", host
  printf "CPU µs/req = server utime+stime over the measured run / responses counted by wrk\n"
  printf "(pipelined: wrk counts each of the 16 responses per batch). Errors: wrk socket errors +\n"
  printf "non-2xx/3xx, summed over rounds. echo-ws: bench/wsload instead of wrk (one masked 5-byte\n"
  printf "text frame in flight per upgraded connection; upgrades made before the measured run), so\n"
  printf "req/s is echoes/s, CPU µs/req is per echo, errors are wrong or missing echoes.\n"
  printf "h2c: HTTP/2 with prior knowledge, h2load -t1 -m100 (100 streams per connection) pinned to\n"
  printf "CPU 1, GET /baseline2?a=1&b=1 (h2o: a static file holding `2`); a request count sized to the\n"
  printf "run's length, every response counted; errors: h2load's failed (errored, timed out, 4xx/5xx)\n"
  printf "plus 3xx.\n\n"
  printf "| profile | conns | server | req/s | CPU µs/req | CPU min–max | peak RSS KiB | errors |\n"
  printf "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n"
  for (i = 1; i <= nkeys; i++) {
    k = keys[i]
    split(k, part, SUBSEP)
    printf "| %s | %s | %s | %.0f | %.3f | %.3f–%.3f | %d | %d |\n", part[1], part[2], part[3], med[k, "rps"], med[k, "cpu"], lo[k], hi[k], med[k, "rss"], errors[k]
  }
  if (busy) {
    printf "\nNote: other processes took more than 5%% of CPU 0 in %d of %d runs (worst %.1f%%); ", busy, others, worst_other
    printf "figures from a busy machine are noisy.\n"
  }

  printf "\n### Goals\n\n"
  printf "| goal | measured | target | status |\n| --- | ---: | ---: | --- |\n"
  fl = cpu("get-only", 512, "floor")
  goal("CPU/req mote/floor, get-only 512", cpu("get-only", 512, "mote"), fl, 1.10)
  goal("CPU/req mote/floor, pipelined 512", cpu("pipelined", 512, "mote"), cpu("pipelined", 512, "floor"), 1.10)
  goal("CPU/req mote/floor, pipelined 4096", cpu("pipelined", 4096, "mote"), cpu("pipelined", 4096, "floor"), 1.10)
  goal("CPU/req mote/floor(get-only 512), baseline 512", cpu("baseline", 512, "mote"), fl, 1.15)
  goal("CPU/req mote/floor(get-only 512), baseline 4096", cpu("baseline", 4096, "mote"), fl, 1.15)
  goal("CPU/req mote/floor(get-only 512), limited-conn 512", cpu("limited-conn", 512, "mote"), fl, 1.15)
  goal("CPU/req mote/floor, limited-get 512 (both reconnect every 10)", cpu("limited-get", 512, "mote"), cpu("limited-get", 512, "floor"), 1.15)
  goal("CPU/req mote/nginx, get-only 512", cpu("get-only", 512, "mote"), cpu("get-only", 512, "nginx"), 0.80)
  goal("CPU/req mote/nginx, pipelined 512", cpu("pipelined", 512, "mote"), cpu("pipelined", 512, "nginx"), 0.80)
  goal("CPU/req mote/nginx, pipelined 4096", cpu("pipelined", 4096, "mote"), cpu("pipelined", 4096, "nginx"), 0.80)
  goal("CPU/req mote baseline 4096 / baseline 512", cpu("baseline", 4096, "mote"), cpu("baseline", 512, "mote"), 1.10)
  ctx("context: CPU/req floor get-only 4096 / 512 (the kernel's own cost of more connections)", cpu("get-only", 4096, "floor"), cpu("get-only", 512, "floor"))
  ctx("context: CPU/req mote get-only 4096 / 512", cpu("get-only", 4096, "mote"), cpu("get-only", 512, "mote"))
  ctx("context: CPU/req mote/floor, get-only 4096", cpu("get-only", 4096, "mote"), cpu("get-only", 4096, "floor"))
  goal("CPU/echo mote echo-ws 512 / CPU/req mote get-only 512", cpu("echo-ws", 512, "mote"), cpu("get-only", 512, "mote"), 1.00)
  goal("CPU/echo mote echo-ws 4096 / CPU/req mote get-only 4096", cpu("echo-ws", 4096, "mote"), cpu("get-only", 4096, "mote"), 1.00)
  goal("CPU/echo mote/floor, echo-ws 512", cpu("echo-ws", 512, "mote"), cpu("echo-ws", 512, "floor"), 1.10)
  goal("CPU/echo mote/floor, echo-ws 4096", cpu("echo-ws", 4096, "mote"), cpu("echo-ws", 4096, "floor"), 1.10)
  goal("CPU/req mote/h2o, h2c 256", cpu("h2c", 256, "mote"), cpu("h2c", 256, "h2o"), 0.50)
  goal("CPU/req mote/h2o, h2c 1024", cpu("h2c", 1024, "mote"), cpu("h2c", 1024, "h2o"), 0.50)
  goal("CPU/req mote/h2o, h2c 4096", cpu("h2c", 4096, "mote"), cpu("h2c", 4096, "h2o"), 0.50)
  h2c_vs_pipelined(256)
  h2c_vs_pipelined(1024)
  h2c_vs_pipelined(4096)
  rss_goal(512, 4096)
  rss_goal(4096, 16384)
  rss_case("echo-ws", 4096, 16384)
  rss_ctx("h2c", 1024, "h2o")
  rss_ctx("h2c", 4096, "h2o")
  printf "\nWall time of this %s run: %d s.\n", mode, wall
}
