-- Heartbeat throughput: wrk -t2 -c50 -d20s -s bench/heartbeat.lua http://127.0.0.1:3000/api/agents/heartbeat
-- AGENT_TOKEN is one agent's token (npm run agent, or POST /api/agents/enroll); or AGENT_TOKENS_FILE names a file
-- of tokens, one per line, which the beats rotate over, as a fleet's would. POLICY_VERSION (default v1) must be
-- a published version. wrk prints "Non-2xx or 3xx responses" when any beat was refused.
local tokens = {}
local file = os.getenv("AGENT_TOKENS_FILE")
if file then
  for line in io.lines(file) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
elseif os.getenv("AGENT_TOKEN") then
  tokens[1] = os.getenv("AGENT_TOKEN")
end
if #tokens == 0 then error("set AGENT_TOKEN to an agent token, or AGENT_TOKENS_FILE to a file of them") end

local body = '{"policyVersion":"' .. (os.getenv("POLICY_VERSION") or "v1") .. '","agentVersion":"bench"}'
local next_token = math.random(#tokens)

request = function()
  next_token = next_token % #tokens + 1
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[next_token] }, body)
end
