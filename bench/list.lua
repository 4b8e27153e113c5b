-- GET /programInstances?limit=20&status=active
local headers = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY") }

request = function()
  return wrk.format("GET", "/programInstances?limit=20&status=active", headers)
end
