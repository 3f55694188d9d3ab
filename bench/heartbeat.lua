-- Heartbeat throughput: wrk -t2 -c50 -d20s -s bench/heartbeat.lua http://127.0.0.1:3000/api/agents/heartbeat
-- AGENT_TOKEN is an agent's token (npm run agent, or POST /api/agents/enroll). One agent beating as fast as
-- the server answers costs what 50 different agents would: each beat authenticates, validates and records.
-- wrk prints "Non-2xx or 3xx responses" when any beat was refused.
local token = os.getenv("AGENT_TOKEN")
if not token then error("set AGENT_TOKEN to an agent token") end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"policyVersion":"v1","agentVersion":"bench"}'

