// Any origin of our own: only its equality with the resolved URL's origin matters.
const APP_ORIGIN = "https://palisade.invalid";
// Printable ASCII with no backslash: browsers strip tabs and newlines and read "\" as "/", which would turn
// "/\t/evil.example" or "/\evil.example" into "//evil.example". Non-ASCII slashes (U+2215, U+FF0F…) are out too.
const PLAIN_PATH = /^[\x21-\x5B\x5D-\x7E]*$/;

/**
 * Where to go after sign-in: a path of this app, or "/". The value is resolved against an origin of ours and
 * kept only when it stays on that origin and is a path starting with a single "/", so "//evil.example",
 * "/\t/evil.example", "https:evil.example" and "javascript:…" all become "/". Returns the normalized path.
 */
export function safeRedirectPath(value: unknown): string {
  if (typeof value !== "string" || value.length > 2048 || !PLAIN_PATH.test(value)) return "/";
  if (!value.startsWith("/") || value.startsWith("//")) return "/";
  let url: URL;
  try {
    url = new URL(value, APP_ORIGIN);
  } catch {
    return "/";
  }
  if (url.origin !== APP_ORIGIN || url.pathname.startsWith("//")) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}
