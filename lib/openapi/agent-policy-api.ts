import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { createPolicyVersionBody, listVersionsQuery, overridesBody } from "@/lib/agent-policy/schemas";
import { createEnrollmentKeyBody, DEFAULT_ENROLLMENT_KEY_HOURS, enrollBody, heartbeatBody, listAgentsQuery, MAX_ENROLLMENT_KEY_HOURS, relabelBody } from "@/lib/agents/schemas";
import { errorResponses, okResponse, userOperation } from "./operations";
import {
  activePolicyVersion,
  agent,
  agentList,
  agentOverridesSet,
  agentPolicyView,
  agentRevoked,
  approvalRequired,
  enrolled,
  enrollmentKey,
  enrollmentKeyCreated,
  enrollmentKeyRevoked,
  heartbeatAnswer,
  policyVersion,
  policyVersionBroadcast,
  publishedVersion,
} from "./schemas";

/** The Agent Policy API family (`{"ok": ...}` envelopes): agent policy versions, agents, enrolment and the data plane. */

export const TAGS = {
  agentPolicy: "Agent policy",
  agents: "Agents",
  enrollmentKeys: "Enrollment keys",
  dataPlane: "Agent data plane",
  events: "Console events",
} as const;

const family = "envelope" as const;

const BLOCK_RULE = { type: "block_ip", config: { trigger: "brute_force", threshold: 50, duration: "24h", scope: "host" }, enabled: true };
const ALERT_RULE = { type: "alert_threshold", config: { severity: "critical", countPerHour: 5, notifyChannels: ["telegram", "email"] }, enabled: true };

const versionPath = z.object({ version: z.string().meta({ description: "A version, `v3` or `3`.", example: "v3" }) });
const agentPath = z.object({ id: z.string().meta({ description: "The agent's id.", example: "agent-1a2b3c4d" }) });
const enrollmentKeyPath = z.object({ id: z.string().meta({ description: "The enrollment key's id (not the key)." }) });

const heldForApproval = (what: string) => ({ "202": okResponse(approvalRequired, `Four-eyes is on: ${what} is filed as a change request for a second admin.`) });

const ROLLOUT_CONFLICT = "Another version is rolling out to a selector: promote or abort it first.";

const rolloutEnding = (operationId: string, summary: string, description: string) =>
  userOperation({
    operationId,
    tag: TAGS.agentPolicy,
    family,
    role: "admin",
    summary,
    description,
    path: versionPath,
    responses: { "200": okResponse(policyVersionBroadcast, "The version, with `broadcastedTo`: the connected agents whose version it changed."), ...heldForApproval("the change") },
    errors: { 404: "A version the organization never published.", 409: "The version is not rolling out (it was promoted or aborted already, or published to the fleet)." },
  });

const AGENT_STREAM_EVENTS = `Server-Sent Events (\`text/event-stream\`, \`Cache-Control: no-cache, no-transform\`, \`X-Accel-Buffering: no\`). Every frame but the comments carries an \`id:\` (the position in the organization's event log) and an \`event:\` name; \`data:\` is one line of JSON. The events:

- \`policy\`: the first event of a new connection. The full state: \`{agentId, policyVersion, policyId, name, rules, overrides, rollout, securityPolicies}\`.
- \`reset\`: on reconnect, when the \`Last-Event-ID\` is older than the retained log (or not one the server issued). The full state, as \`policy\`.
- \`policy_version\`: the version that applies to this agent changed (published, republished, reached by a staged rollout, promoted or aborted). \`{policyVersion, policyId, name, rules, rollout}\`; \`rules\` already include this agent's overrides.
- \`rollout\`: a staged rollout started, was promoted or was aborted, and this agent's version did not change. \`{policyVersion, policyId, name, rules, rollout}\`: the version it keeps.
- \`labels\`: an admin relabelled this agent, and its version did not change. \`{policyVersion, policyId, name, rules, rollout, labels}\`.
- \`overrides\`: an admin changed this agent's overrides. \`{policyVersion, policyId, name, rules, rollout, overrides}\`.
- \`security_policy\`: a network or session policy was toggled, created, edited or deleted. \`{change, policy: {id, name, type, enabled, rules, enforced}}\`, \`change\` one of \`toggled\`, \`created\`, \`updated\`, \`deleted\`.
- \`revoked\`: the agent was revoked. \`{reason}\`; the server closes the stream: stop, and do not reconnect.

\`rollout\` in these is null, or \`{version, selector, targeted}\` while a version rolls out to the agents a label selector matches. Each event but \`security_policy\` and \`revoked\` carries the complete rule set the agent must enforce, so applying one is a plain replace.

Each of those also carries \`scope\` (PolicyScope), \`signature\` (\`{keyId, value}\`) and, after a key rotation, \`signingKeys\`: a detached Ed25519 signature over the canonical JSON (RFC 8785) of \`{type: "palisade.agent-policy.v1", orgId, agentId, selector, highestVersion, version, policyId, name, rules}\` (\`version\` is \`policyVersion\`; the others from \`scope\`). Verify it with the key from the enrolment answer before applying the rules; refuse one issued before the version you run (\`highestVersion\` lower than it). See docs/agent-protocol.md.

Other frames: \`retry: 3000–5000\` once per connection (the reconnection delay, jittered), and a \`: keep-alive\` comment every 15 s.

Resuming: reconnect with \`Last-Event-ID\` set to the id of the last event applied. The server replays exactly the events after it, then continues live; if its log (the newest \`AGENT_EVENT_RETENTION\` events, 1000 by default) no longer holds them all, one \`reset\` comes instead. One stream per agent: opening one ends the agent's older stream on that instance. A client whose unread backlog passes \`SSE_MAX_BUFFER_BYTES\` (1 MiB) is disconnected and resumes like any other reconnect.`;

export const agentPolicyPaths: ZodOpenApiPathsObject = {
  "/api/policy": {
    post: userOperation({
      operationId: "publishAgentPolicy",
      tag: TAGS.agentPolicy,
      family,
      role: "admin",
      summary: "Publish an agent policy version",
      description:
        "The version (`v1`, `v2`, … per organization, with no gap or duplicate even under concurrent publishes) becomes active at once and is pushed to every connected agent. With a `selector` (`key=value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`, joined by commas, at most 20), it rolls out first to the live agents the selector matches; promote or abort it later. `org_id` is optional and must be the caller's organization. Rule configs refuse unknown fields; `enabled` defaults to true. Audited as `create_policy_version`.",
      body: { schema: createPolicyVersionBody, example: { name: "Block Brute Force Sources", description: "Automatically block IPs after repeated SSH failures", rules: [BLOCK_RULE, ALERT_RULE] } },
      responses: {
        "201": okResponse(publishedVersion, "Published. `broadcastedTo` counts the organization's connected agents (with a selector, those it matches) on every instance.", {
          id: "pol_3f9a1c2b4d5e",
          name: "Block Brute Force Sources",
          version: "v3",
          rules: [BLOCK_RULE, ALERT_RULE],
          broadcastedTo: 8,
          createdAt: "2026-03-07T12:00:00.000Z",
          description: "Automatically block IPs after repeated SSH failures",
        }),
        ...heldForApproval("the publish"),
      },
      errors: { 404: "`org_id` names another organization.", 409: ROLLOUT_CONFLICT, 422: "A field fails validation, each named by its path (`rules[1].config.threshold`); a malformed selector, or one matching no live agent." },
    }),
  },
  "/api/policy/active": {
    get: userOperation({
      operationId: "getActiveAgentPolicy",
      tag: TAGS.agentPolicy,
      family,
      role: "viewer",
      summary: "The active agent policy version",
      description: "The version that applies to the fleet at large, with all its rules; `rollout` is the version rolling out to a selector's agents, or null.",
      responses: { "200": okResponse(activePolicyVersion, "The active version.") },
      errors: { 404: "No version has been published to the whole fleet yet." },
    }),
  },
  "/api/policy/versions": {
    get: userOperation({
      operationId: "listAgentPolicyVersions",
      tag: TAGS.agentPolicy,
      family,
      role: "viewer",
      summary: "List agent policy versions",
      description: "Newest first.",
      query: listVersionsQuery,
      responses: { "200": okResponse(z.array(policyVersion), "The versions.") },
    }),
  },
  "/api/policy/versions/{version}": {
    get: userOperation({
      operationId: "getAgentPolicyVersion",
      tag: TAGS.agentPolicy,
      family,
      role: "viewer",
      summary: "Get an agent policy version",
      path: versionPath,
      responses: { "200": okResponse(policyVersion, "The version.") },
      errors: { 404: "A version the organization never published." },
    }),
  },
  "/api/policy/versions/{version}/republish": {
    post: userOperation({
      operationId: "republishAgentPolicyVersion",
      tag: TAGS.agentPolicy,
      family,
      role: "admin",
      summary: "Republish an old version (rollback)",
      description: "Publishes the rules of an old version as a new version; `republishedFrom` names the source. Agents apply it like any other version.",
      path: versionPath,
      responses: { "201": okResponse(policyVersionBroadcast, "The new version, with `broadcastedTo`.") },
      errors: { 404: "A version the organization never published.", 409: ROLLOUT_CONFLICT },
    }),
  },
  "/api/policy/versions/{version}/promote": {
    post: rolloutEnding(
      "promoteAgentPolicyVersion",
      "Promote a staged rollout",
      "The version becomes the active one for the whole fleet; the agents outside the selector receive it. Audited as `promote_policy_version`.",
    ),
  },
  "/api/policy/versions/{version}/abort": {
    post: rolloutEnding(
      "abortAgentPolicyVersion",
      "Abort a staged rollout",
      'The rollout ends; its agents return to the active version. The version stays in the history with `stage: "aborted"`. Audited as `abort_policy_version`.',
    ),
  },
  "/api/policy/agent/{id}": {
    get: userOperation({
      operationId: "getAgentEffectivePolicy",
      tag: TAGS.agentPolicy,
      family,
      role: "viewer",
      summary: "The rules one agent enforces",
      description: "The version that applies to the agent (the active one, or a rollout's when its labels match the selector) with the agent's overrides applied.",
      path: agentPath,
      responses: { "200": okResponse(agentPolicyView, "The agent's effective policy.") },
      errors: { 404: "No such agent." },
    }),
  },
  "/api/policy/agent/{id}/overrides": {
    put: userOperation({
      operationId: "setAgentOverrides",
      tag: TAGS.agentPolicy,
      family,
      role: "admin",
      summary: "Replace an agent's overrides",
      description:
        "An empty list clears them. At most one override per rule type; it applies to every active rule of its type: `enabled` replaces the rule's flag, and `config` is merged key by key over the rule's config (each key validated against the rule type). Audited as `set_agent_overrides`; pushed to that agent only.",
      path: agentPath,
      body: { schema: overridesBody, example: { rules: [{ type: "block_ip", enabled: false }, { type: "alert_threshold", config: { countPerHour: 20 } }] } },
      responses: { "200": okResponse(agentOverridesSet, "The overrides and the effective rules.") },
      errors: { 404: "No such agent." },
    }),
  },
  "/api/agents": {
    get: userOperation({
      operationId: "listAgents",
      tag: TAGS.agents,
      family,
      role: "viewer",
      summary: "List agents",
      description:
        "By hostname. `status=outdated` lists the agents running another version than the one that applies to them; an agent is offline after `AGENT_OFFLINE_AFTER_SECONDS` (90 by default) without a heartbeat.",
      query: listAgentsQuery,
      responses: { "200": okResponse(agentList, "One page of agents, and how many match.") },
    }),
  },
  "/api/agents/{id}": {
    get: userOperation({
      operationId: "getAgent",
      tag: TAGS.agents,
      family,
      role: "viewer",
      summary: "Get an agent",
      path: agentPath,
      responses: { "200": okResponse(agent, "The agent.") },
      errors: { 404: "No such agent." },
    }),
    delete: userOperation({
      operationId: "revokeAgent",
      tag: TAGS.agents,
      family,
      role: "admin",
      summary: "Revoke an agent",
      description: "Its token stops working at once, and its open streams receive `revoked` and close within a second, on every instance. Audited as `revoke_agent`.",
      path: agentPath,
      responses: { "200": okResponse(agentRevoked, "Revoked.") },
      errors: { 404: "No such agent, or already revoked." },
    }),
  },
  "/api/agents/{id}/labels": {
    put: userOperation({
      operationId: "relabelAgent",
      tag: TAGS.agents,
      family,
      role: "admin",
      summary: "Replace an agent's labels",
      description: "The same rules as at enrolment (up to 50). The agent's stream is told. Audited as `relabel_agent`.",
      path: agentPath,
      body: { schema: relabelBody, example: { labels: { ring: "canary" } } },
      responses: { "200": okResponse(agent, "The agent, relabelled.") },
      errors: { 404: "No such agent, or a revoked one." },
    }),
  },
  "/api/agents/enrollment-keys": {
    get: userOperation({
      operationId: "listEnrollmentKeys",
      tag: TAGS.enrollmentKeys,
      family,
      role: "admin",
      summary: "List enrollment keys",
      description: "Newest first; never the key itself.",
      responses: { "200": okResponse(z.array(enrollmentKey), "The keys.") },
    }),
    post: userOperation({
      operationId: "createEnrollmentKey",
      tag: TAGS.enrollmentKeys,
      family,
      role: "admin",
      summary: "Create an enrollment key",
      description: `The key (\`penr_…\`) is in this response only. It expires after ${DEFAULT_ENROLLMENT_KEY_HOURS} hours unless \`expiresHours\` says otherwise (at most ${MAX_ENROLLMENT_KEY_HOURS}, a year); \`uses\` is unlimited unless given. Audited as \`create_enrollment_key\`.`,
      body: { schema: createEnrollmentKeyBody, example: { uses: 10, expiresHours: 24 } },
      responses: { "201": okResponse(enrollmentKeyCreated, "Created.") },
    }),
  },
  "/api/agents/enrollment-keys/{id}": {
    delete: userOperation({
      operationId: "revokeEnrollmentKey",
      tag: TAGS.enrollmentKeys,
      family,
      role: "admin",
      summary: "Revoke an enrollment key",
      path: enrollmentKeyPath,
      responses: { "200": okResponse(enrollmentKeyRevoked, "Revoked.") },
      errors: { 404: "No such live key." },
    }),
  },
  "/api/agents/enroll": {
    post: {
      operationId: "enrollAgent",
      tags: [TAGS.dataPlane],
      summary: "Enrol an agent",
      description:
        "An agent trades an enrollment key, sent in the body (`enrollmentKey`), for its own token. No other credential. Each enrolment spends one use of the key. The hostname, agent version and label values are trimmed and refuse control and invisible formatting characters.",
      security: [],
      requestBody: { required: true, content: { "application/json": { schema: enrollBody, example: { enrollmentKey: "penr_…", hostname: "web-1", agentVersion: "1.4.2", labels: { env: "prod" } } } } },
      responses: {
        "201": okResponse(enrolled, "Enrolled. Store the token where only the agent can read it: it is its only credential.", { agentId: "agent-1a2b3c4d", orgId: "org_…", token: "pagt_…", policySigningKey: { keyId: "3f9a1c2b4d5e6f70", publicKey: "base64…" } }),
        ...errorResponses(family, { 400: true, 401: "The enrollment key is unknown, revoked, expired or used up.", 413: true, 422: true, 500: true, 503: true }),
      },
    },
  },
  "/api/agents/stream": {
    get: {
      operationId: "agentStream",
      tags: [TAGS.dataPlane],
      summary: "The agent's event stream",
      description: "The agent's policy first, then every change that affects it, live. See docs/agent-protocol.md.",
      security: [{ agentToken: [] }],
      parameters: [
        {
          name: "Last-Event-ID",
          in: "header",
          required: false,
          description: "The id of the last event the agent applied, to resume after it.",
          schema: { type: "string" },
        },
      ],
      responses: {
        "200": { description: AGENT_STREAM_EVENTS, content: { "text/event-stream": { schema: { type: "string" } } } },
        ...errorResponses(family, {
          401: "A missing, unknown or revoked agent token: stop, and do not reconnect.",
          500: true,
          503: "This instance is shutting down (`Retry-After: 1`), too many streams are starting at once (`Retry-After` spread over 5–15 s), or the database cannot be reached. Wait `Retry-After` seconds, no less, then reconnect.",
        }),
      },
    },
  },
  "/api/agents/heartbeat": {
    post: {
      operationId: "agentHeartbeat",
      tags: [TAGS.dataPlane],
      summary: "An agent's heartbeat",
      description:
        "Every 30 s, and once more 0–2 s (random) after applying a new version. Records the last-seen time and the reported version (written in batches every 500 ms). A new `hostname` is audited as `agent_hostname_changed`.",
      security: [{ agentToken: [] }],
      requestBody: { required: true, content: { "application/json": { schema: heartbeatBody, example: { policyVersion: "v3", agentVersion: "1.4.2", hostname: "web-1" } } } },
      responses: {
        "200": okResponse(heartbeatAnswer, "Recorded; whether the agent is behind.", { agentId: "agent-1a2b3c4d", latestVersion: "v3", outdated: false, serverTime: "2026-03-07T12:01:00.000Z" }),
        ...errorResponses(family, {
          400: true,
          401: "A missing, unknown or revoked agent token.",
          413: true,
          422: "A field fails validation; a `policyVersion` the organization has not published (`v9 has not been published (the latest is v3)`): the beat is not recorded.",
          500: true,
          503: true,
        }),
      },
    },
  },
  "/api/events": {
    get: {
      operationId: "consoleEvents",
      tags: [TAGS.events],
      summary: "The console's live fleet figures",
      description:
        "Viewer (any role). Server-Sent Events: `event: convergence` with `data:` a FleetConvergence (`{latestVersion, agents: {total, online, offline, upToDate, outdated}, versions: [...]}`), sent on connect and after every heartbeat batch or agent event of the organization, at most once a second. Each user (all their console sessions together) and each API token may hold 5 of these streams at once on an instance. The stream is not use of a console session.",
      security: [{ apiToken: [] }, { consoleSession: [] }],
      responses: {
        "200": { description: "The stream.", content: { "text/event-stream": { schema: { type: "string" } } } },
        ...errorResponses(family, {
          401: true,
          403: true,
          429: "A sixth stream for this user or token: retry when one closes.",
          500: true,
          503: "This instance is shutting down, or the database cannot be reached.",
        }),
      },
    },
  },
};
