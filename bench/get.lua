-- GET /programInstances/{id} for random ids of the key's workspace.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY") }

request = function()
  return wrk.format("GET", "/programInstances/" .. ids[math.random(#ids)], headers)
end
