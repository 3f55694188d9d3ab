import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import { createToken, createUser } from "./helpers";

const exec = promisify(execFile);

/** Runs one of the document's Python examples with only the base URL and the token substituted. */
async function runExample(file: string, baseURL: string, token: string): Promise<string> {
  const source = readFileSync(`tests/e2e/clients/${file}`, "utf8")
    .replaceAll("https://your-domain.com", baseURL)
    .replaceAll("your-token-here", token);
  const { stdout } = await exec("python3", ["-c", source]);
  return stdout;
}

test.describe("the Security Policies API document's clients, unchanged", () => {
  test("the Python PolicyManager and audit_policy_changes examples", async ({ baseURL }) => {
    const admin = await createUser("admin");
    const token = await createToken(admin.email);

    const dashboard = await runExample("policy_manager.py", baseURL!, token);
    expect(dashboard).toContain("=== Security Policies ===");
    expect(dashboard).toContain("✓ ENABLED - MFA Required");
    expect(dashboard).toContain(" Type: NETWORK");
    expect(dashboard).toContain(" - 30-day retention");
    expect(dashboard).toContain("Access policies: 1");
    expect(dashboard.trimEnd().endsWith("Policy disabled")).toBe(true);

    const history = await runExample("audit_policy_changes.py", baseURL!, token);
    expect(history).toContain("=== Policy Change History ===");
    expect(history).toContain(` User: ${admin.email}`);
    expect(history).toContain(" Resource: policy:pol-mfa-required");
    expect(history).toContain(" Action: Policy disabled");
    expect(history).toContain(" Success: True");
  });

  test("the curl examples", async ({ baseURL }) => {
    const admin = await createUser("admin");
    const token = await createToken(admin.email);
    const curl = async (...args: string[]) => (await exec("curl", ["-s", "-w", "\n%{http_code}", ...args])).stdout.split("\n");

    const [list, listStatus] = await curl(`${baseURL}/api/policies`, "-H", `Authorization: Bearer ${token}`);
    expect(listStatus).toBe("200");
    expect(JSON.parse(list!)).toHaveLength(3);

    const [toggle] = await curl("-X", "PATCH", `${baseURL}/api/policies/pol-mfa-required`, "-H", `Authorization: Bearer ${token}`);
    expect(JSON.parse(toggle!)).toEqual({ message: "Policy disabled", enabled: false });

    const [logs] = await curl(`${baseURL}/api/audit-logs`, "-H", `Authorization: Bearer ${token}`);
    expect(JSON.parse(logs!)[0]).toMatchObject({ action: "toggle_policy", resource: "policy:pol-mfa-required", details: "Policy disabled", success: true });

    const [refused, refusedStatus] = await curl(`${baseURL}/api/policies`, "-H", "Authorization: Bearer your-token-here");
    expect(refusedStatus).toBe("401");
    expect(JSON.parse(refused!)).toEqual({ detail: "Not authenticated" });
  });
});
