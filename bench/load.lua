-- wrk script for `make bench` (bench/run.py sets these variables for each wrk run):
--
--   BENCH_TARGET     ping: GET /api/v1/ping
--                    validate: POST /api/v1/licenses/validate {"key", "fingerprint" if the line has one}
--                    activate: POST /api/v1/client/activate, Bearer token, {"product", "machine": {"fingerprint"}}
--                    info: GET /api/v1/client/info?product=..., Bearer token
--   BENCH_DATA_FILE  one request a line: "key", "key fingerprint" or "token fingerprint"
--   BENCH_ORDER      random: any line, again and again; walk: thread n of N sends lines n, n+N, n+2N...,
--                    so no line is sent twice until the file runs out (then it starts over)
--   BENCH_THREADS    wrk's -t, for the walk
--   BENCH_PRODUCT    the product code for activate and info
--
-- Every answer is checked: one that is not a 200 with the expected body (valid, activated...) counts as
-- wrong, so a broken endpoint cannot pass for a fast one (validate answers 200 even for an unknown key).
-- done() prints one machine-readable line, BENCH_RESULT {...}, for bench/run.py.

local target = os.getenv("BENCH_TARGET") or "ping"
local order = os.getenv("BENCH_ORDER") or "random"
local product = os.getenv("BENCH_PRODUCT") or "bench-app"
local lines = {}

if target ~= "ping" then
  for line in io.lines(os.getenv("BENCH_DATA_FILE")) do
    if #line > 0 then
      local first, second = line:match("^(%S+)%s*(%S*)$")
      lines[#lines + 1] = { first, second }
    end
  end
  assert(#lines > 0, "BENCH_DATA_FILE has no lines")
end

-- Each thread runs this script in its own Lua state; setup() numbers them, and run.py passes their
-- count (wrk's -t) as BENCH_THREADS, which a thread cannot learn otherwise.
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_number", #threads)
end

local position

function init(args)
  math.randomseed(os.time() * 1000 + thread_number)
  position = thread_number -- 1-based: thread 1 sends lines 1, 1+N, ...
end

local function next_line()
  if order == "walk" then
    local line = lines[position]
    position = position + thread_count
    if position > #lines then position = thread_number end
    return line
  end
  return lines[math.random(#lines)]
end

local json = { ["Content-Type"] = "application/json" }

local function with_token(token, extra)
  local headers = { ["Authorization"] = "Bearer " .. token }
  for name, value in pairs(extra or {}) do headers[name] = value end
  return headers
end

function request()
  if target == "ping" then
    return wrk.format("GET", "/api/v1/ping")
  end
  local line = next_line()
  local first, second = line[1], line[2]
  if target == "validate" then
    local fingerprint = #second > 0 and (',"fingerprint":"' .. second .. '"') or ""
    return wrk.format("POST", "/api/v1/licenses/validate", json, '{"key":"' .. first .. '"' .. fingerprint .. "}")
  elseif target == "activate" then
    local body = '{"product":"' .. product .. '","machine":{"fingerprint":"' .. second .. '"}}'
    return wrk.format("POST", "/api/v1/client/activate", with_token(first, json), body)
  elseif target == "info" then
    return wrk.format("GET", "/api/v1/client/info?product=" .. product, with_token(first))
  end
  error("unknown BENCH_TARGET " .. target)
end

local expected = { -- what a right answer's body contains (a Lua pattern)
  ping = '"ok":%s*true',
  validate = '"valid":%s*true',
  activate = '"activated":%s*true', -- and a 200, not 201: the machine was known
  info = '"is_license_activated":%s*true',
}
wrong = 0 -- a global of each thread's state, read by done() through thread:get

function response(status, headers, body)
  if status ~= 200 or not body:find(expected[target]) then
    wrong = wrong + 1
    if wrong == 1 then -- the first per thread, for run.py to show
      io.stderr:write(string.format("wrong answer: %d %s\n", status, body:sub(1, 300)))
    end
  end
end

function done(summary, latency, requests)
  local total_wrong = 0
  for _, thread in ipairs(threads) do total_wrong = total_wrong + thread:get("wrong") end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"wrong_answers": %d, "errors_socket": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    total_wrong, e.connect + e.read + e.write + e.timeout))
end
