import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { logError } from "@/lib/log";
import { processSingleton } from "@/lib/singleton";

/**
 * The route pattern a path is served by (`/api/policies/[id]` for `/api/policies/pol-1`), for metric labels and
 * log lines: one value per route, never the raw path, whose values (ids, or whatever a scanner tries) are
 * unbounded. Next gives no way to ask which route matched, so the routes are read where Next reads them:
 * - a production server: the build's `.next/routes-manifest.json`, Next's own routing table (it ships wherever the
 *   build runs: `npm start`, `next start`, a standalone or Vercel output);
 * - otherwise (`next dev`, tests): the `page` and `route` files under `app/`, where that manifest may be stale.
 * A path no route serves is `(unmatched)`; Next's assets are `/_next/*`.
 */
export const UNMATCHED_ROUTE = "(unmatched)";
const NEXT_ASSETS_ROUTE = "/_next/*";

type Segment = { kind: "static"; text: string } | { kind: "dynamic" | "catch-all" | "optional-catch-all" };
interface DynamicRoute {
  pattern: string;
  segments: Segment[];
}
interface RouteTable {
  static: Set<string>;
  /** Most specific first: at the first segment where two routes differ, static before dynamic before catch-all. */
  dynamic: DynamicRoute[];
}

const SEGMENT_RANK = { static: 0, dynamic: 1, "catch-all": 2, "optional-catch-all": 3 } as const;

function parseSegment(text: string): Segment {
  if (text.startsWith("[[...")) return { kind: "optional-catch-all" };
  if (text.startsWith("[...")) return { kind: "catch-all" };
  if (text.startsWith("[")) return { kind: "dynamic" };
  return { kind: "static", text };
}

function bySpecificity(a: DynamicRoute, b: DynamicRoute): number {
  for (let i = 0; i < Math.min(a.segments.length, b.segments.length); i++) {
    const difference = SEGMENT_RANK[a.segments[i]!.kind] - SEGMENT_RANK[b.segments[i]!.kind];
    if (difference !== 0) return difference;
  }
  return b.segments.length - a.segments.length;
}

/** A table of route patterns as Next writes them: `/`, `/policies/[id]`, `/api/auth/[...nextauth]`. */
export function routeTableOf(patterns: Iterable<string>): RouteTable {
  const table: RouteTable = { static: new Set(), dynamic: [] };
  for (const pattern of new Set(patterns)) {
    const segments = pattern.split("/").filter(Boolean).map(parseSegment);
    if (segments.every((segment) => segment.kind === "static")) table.static.add(pattern);
    else table.dynamic.push({ pattern, segments });
  }
  table.dynamic.sort(bySpecificity);
  return table;
}

function matches(segments: Segment[], parts: string[]): boolean {
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.kind === "catch-all") return parts.length > i;
    if (segment.kind === "optional-catch-all") return parts.length >= i;
    if (i >= parts.length || (segment.kind === "static" && segment.text !== parts[i])) return false;
  }
  return parts.length === segments.length;
}

export function matchRoute(table: RouteTable, pathname: string): string {
  const trimmed = pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname;
  if (table.static.has(trimmed)) return trimmed;
  if (trimmed.startsWith("/_next/")) return NEXT_ASSETS_ROUTE;
  const parts = trimmed.split("/").filter(Boolean);
  return table.dynamic.find((route) => matches(route.segments, parts))?.pattern ?? UNMATCHED_ROUTE;
}

const routesManifest = z.object({
  staticRoutes: z.array(z.object({ page: z.string() })),
  dynamicRoutes: z.array(z.object({ page: z.string() })),
});

function patternsFromBuild(): string[] {
  // turbopackIgnore: the file is read at run time, from the build being served; it is not part of any bundle.
  const file = path.join(/* turbopackIgnore: true */ process.cwd(), ".next", "routes-manifest.json");
  const manifest = routesManifest.parse(JSON.parse(readFileSync(file, "utf8")));
  return [...manifest.staticRoutes, ...manifest.dynamicRoutes].map((route) => route.page);
}

const ROUTE_FILE = /(?:^|[/\\])(?:page|route)\.(?:tsx?|jsx?|mdx?)$/;

/** Route groups `(name)` and parallel slots `@name` are not in the URL; private folders `_name` hold no routes. */
function patternsFromSources(): string[] {
  const appDir = path.join(/* turbopackIgnore: true */ process.cwd(), "app");
  const files = readdirSync(appDir, { recursive: true, encoding: "utf8" }).filter((file) => ROUTE_FILE.test(file));
  return files.flatMap((file) => {
    const folders = path.dirname(file).split(/[/\\]/).filter((folder) => folder !== ".");
    if (folders.some((folder) => folder.startsWith("_"))) return [];
    return [`/${folders.filter((folder) => !/^\(.*\)$/.test(folder) && !folder.startsWith("@")).join("/")}`];
  });
}

function loadRouteTable(): RouteTable {
  try {
    return routeTableOf(process.env.NODE_ENV === "production" ? patternsFromBuild() : patternsFromSources());
  } catch (error) {
    logError("reading the route table for metrics and logs (every path is labelled (unmatched))", error);
    return routeTableOf([]);
  }
}

/** The route pattern that serves `pathname` in this process. */
export function routePattern(pathname: string): string {
  return matchRoute(processSingleton("route table", loadRouteTable), pathname);
}
