import { randomHex } from "@/lib/ids";

/** "Block USB storage" -> "pol-block-usb-storage-3fa91c": readable, and unique without a lookup. */
export function generatePolicyId(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return slug ? `pol-${slug}-${randomHex(3)}` : `pol-${randomHex(4)}`;
}
