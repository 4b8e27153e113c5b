-- GET /reports/participation (BENCH_REPORT_QUERY appended, e.g. "?from=2026-11-01")
local headers = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY") }
local path = "/reports/participation" .. (os.getenv("BENCH_REPORT_QUERY") or "")

request = function()
  return wrk.format("GET", path, headers)
end
