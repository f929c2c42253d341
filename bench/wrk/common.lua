-- Shared by the profile scripts: loads the arena's raw request bytes.
-- MOTE_BENCH_REQUESTS names the directory holding get.raw, post_cl.raw, post_chunked.raw, pipeline.raw.
local dir = os.getenv("MOTE_BENCH_REQUESTS") or "/work/shared/arena-requests"

function load_request(name)
  local f = assert(io.open(dir .. "/" .. name, "rb"))
  local bytes = f:read("*a")
  f:close()
  return bytes
end

function baseline_requests()
  return { load_request("get.raw"), load_request("post_cl.raw"), load_request("post_chunked.raw") }
end
