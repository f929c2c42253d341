-- baseline: GET, POST with Content-Length and POST chunked, rotated, on keep-alive connections.
dofile(os.getenv("MOTE_BENCH_LUA") .. "/common.lua")

local reqs = baseline_requests()
local i = 0

function request()
  i = i % #reqs + 1
  return reqs[i]
end
