-- A route under wrk, as bench/api.ts drives it: METHOD (default GET), TOKEN (a Bearer API token, optional), BODY
-- (optional, sent as JSON), and PATHS_FILE (optional: a file of paths, one per line, the requests rotate over;
-- otherwise the URL's path).
local method = os.getenv("METHOD") or "GET"
local body = os.getenv("BODY")
local headers = {}
if os.getenv("TOKEN") then headers["Authorization"] = "Bearer " .. os.getenv("TOKEN") end
if body then headers["Content-Type"] = "application/json" end

local paths = {}
local file = os.getenv("PATHS_FILE")
if file then
  for line in io.lines(file) do
    if #line > 0 then paths[#paths + 1] = line end
  end
end
local next_path = math.random(math.max(#paths, 1))

request = function()
  if #paths == 0 then return wrk.format(method, nil, headers, body) end
  next_path = next_path % #paths + 1
  return wrk.format(method, paths[next_path], headers, body)
end
