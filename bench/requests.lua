-- wrk script for `make bench` (bench/run.py): requests prepared in a file,
-- one a line, "METHOD<TAB>path<TAB>Cookie header<TAB>body" (cookie and body may
-- be empty; a body is sent as a form). Usage:
--   wrk -t2 -c20 -d10s -s bench/requests.lua http://127.0.0.1:8765 -- FILE MODE THREADS
-- MODE "rotate": every thread cycles through all lines, from its own offset
--   (several learners and pages share the load).
-- MODE "once": the lines are dealt out between the threads and each is sent
--   once (writes that use up state, such as submitting an attempt); a thread
--   that runs out starts over and counts the repeats, which run.py reports.
-- At the end one line "WRK_JSON {...}" gives requests, errors and latency
-- percentiles in microseconds.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter - 1)
  table.insert(threads, thread)
end

local lines = {}
local index = 0
local once = false
repeats = 0

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  once = args[2] == "once"
  local nthreads = tonumber(args[3] or "1")
  local n = 0
  for line in file:lines() do
    if line ~= "" then
      if not once or n % nthreads == id then
        local f = split(line)
        local headers = {}
        if f[3] and f[3] ~= "" then headers["Cookie"] = f[3] end
        local body = nil
        if f[4] and f[4] ~= "" then
          body = f[4]
          headers["Content-Type"] = "application/x-www-form-urlencoded"
        end
        table.insert(lines, wrk.format(f[1], f[2], headers, body))
      end
      n = n + 1
    end
  end
  file:close()
  assert(#lines > 0, "no requests for this thread in " .. args[1])
  if not once then
    index = (id * math.floor(#lines / nthreads + 1)) % #lines
  end
end

local sent = 0

function request()
  sent = sent + 1
  if once and sent > #lines then repeats = repeats + 1 end
  index = index % #lines + 1
  return lines[index]
end

function done(summary, latency, requests)
  local repeated = 0
  for _, thread in ipairs(threads) do
    repeated = repeated + (tonumber(thread:get("repeats")) or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "repeats": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    math.floor(latency:percentile(50)), math.floor(latency:percentile(95)),
    math.floor(latency:percentile(99)), math.floor(latency.max), repeated))
end
