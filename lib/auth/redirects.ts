/** Only same-site paths are followed after sign-in: "/policies" yes, "//evil.example" or "https://…" no. */
export function safeRedirectPath(value: unknown): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  return value;
}
