-- limited-get: GET /baseline11 only, every 10th request carrying `Connection: close`, so each
-- connection lives 10 requests. The floor (started with CLOSE_AFTER=10) closes after its 10th
-- answer instead: both pay one connection set-up and tear-down per 10 answers, nothing else.
dofile(os.getenv("MOTE_BENCH_LUA") .. "/common.lua")

local get = load_request("get.raw")
local closing = (get:gsub("\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1))
local n = 0

function request()
  n = n + 1
  if n % 10 == 0 then
    return closing
  end
  return get
end
