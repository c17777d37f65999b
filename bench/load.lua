-- wrk script for `make bench`. BENCH_TARGET=ping: GET /api/v1/ping.
-- BENCH_TARGET=validate: POST /api/v1/licenses/validate with a random seeded key
-- (one a line in BENCH_KEYS_FILE). done() prints one machine-readable line.

local target = os.getenv("BENCH_TARGET") or "ping"
local keys = {}

if target == "validate" then
  for line in io.lines(os.getenv("BENCH_KEYS_FILE")) do
    if #line > 0 then keys[#keys + 1] = line end
  end
end

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_number or 0))
end

local json_headers = { ["Content-Type"] = "application/json" }

function request()
  if target == "validate" then
    local body = '{"key":"' .. keys[math.random(#keys)] .. '"}'
    return wrk.format("POST", "/api/v1/licenses/validate", json_headers, body)
  end
  return wrk.format("GET", "/api/v1/ping")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"errors_status": %d, "errors_socket": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
