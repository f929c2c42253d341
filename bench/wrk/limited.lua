-- limited-conn: baseline, but every 10th request carries `Connection: close`, so the server closes
-- and wrk reconnects. wrk's Lua sees no connection identity: requests are counted per wrk thread,
-- so a connection lives 10 requests on average (exactly one connection opened per 10 requests).
dofile(os.getenv("MOTE_BENCH_LUA") .. "/common.lua")

local reqs = baseline_requests()
local closing = {}
for k, r in ipairs(reqs) do
  -- the first blank line ends the header block
  closing[k] = (r:gsub("\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1))
end

local n = 0

function request()
  n = n + 1
  local k = (n - 1) % #reqs + 1
  if n % 10 == 0 then
    return closing[k]
  end
  return reqs[k]
end
