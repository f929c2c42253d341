-- pipelined: 16 GET /pipeline requests written back to back per connection.
-- wrk parses the string request() returns once at start-up and counts the requests in it
-- (16 here); it then expects 16 responses per write and counts every one of them in its
-- "requests" total, so Requests/sec already counts each pipelined response.
dofile(os.getenv("MOTE_BENCH_LUA") .. "/common.lua")

local batch = load_request("pipeline.raw"):rep(16)

function request()
  return batch
end
