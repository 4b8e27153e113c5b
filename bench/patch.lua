-- PATCH /programInstances/{id} (merge patch of the description) for random ids.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY"),
  ["Content-Type"] = "application/merge-patch+json",
}
local counter = 0

request = function()
  counter = counter + 1
  local body = '{"description": "Patched by the benchmark, round ' .. counter .. '"}'
  return wrk.format("PATCH", "/programInstances/" .. ids[math.random(#ids)], headers, body)
end
