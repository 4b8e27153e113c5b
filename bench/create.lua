-- POST /programs/battery-rebate/instances with ~1 KB bodies and names unique per thread.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tag", threads)
end

local counter = 0
-- Names (and so slugs) unique across runs too: a later run in the same workspace must not
-- collide with an earlier one (409 slug_taken).
local run = tostring(os.time())
local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY"),
  ["Content-Type"] = "application/json",
}
local rest = [[, "description": "Rebates for residential battery storage installed by participating contractors in the service territory.",
 "logoUrl": "https://example.com/logos/bench.png",
 "eligibilityCriteria": {"regions": ["NY", "NJ"], "deviceTypes": ["battery"], "minimumCapacity": 5.0, "maximumCapacity": 40.0, "customerTypes": ["residential"], "utilities": ["coned", "pseg"]},
 "customTerms": "Participants must keep the battery enrolled for three years and allow up to twenty dispatch events per season.",
 "formConfig": {"fields": [{"key": "utilityAccountNumber", "label": "Utility account number", "type": "text", "required": true, "pattern": "^[0-9]{10}$", "maxLength": 10}, {"key": "installer", "label": "Installer", "type": "text"}, {"key": "panels", "label": "Panels", "type": "integer", "min": 0, "max": 200}]},
 "startDate": "2026-01-01T00:00:00Z", "endDate": "2099-12-31T23:59:59Z",
 "metadata": {"campaign": "bench", "budget": 125000, "owner": "programs-team", "channel": "web"}}]]

request = function()
  counter = counter + 1
  local body = '{"name": "Bench create ' .. run .. ' ' .. tag .. ' ' .. counter .. '"' .. rest
  return wrk.format("POST", "/programs/battery-rebate/instances", headers, body)
end
