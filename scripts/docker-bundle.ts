/**
 * Compiles the programs the container image runs (Dockerfile's build stage) into dist/: the container's start
 * (start.mjs), the server entry (server.mjs), the CLI (cli.mjs) and migrations (migrate.mjs), and the chunks they share. Packages stay external: they load from the image's
 * production node_modules (`npm ci --omit=dev`), so the image needs neither tsx (a development tool) nor the
 * TypeScript sources. The image's package.json points `npm start`, `npm run cli` and `npm run db:migrate` at these.
 */
import { build, type Plugin } from "esbuild";

/**
 * Next's entry points (`next/headers`, `next/navigation`…) are files in a package without an "exports" map: tsx and
 * bundlers find them without an extension, Node's ESM loader does not.
 */
const nextEntryPointsWithExtension: Plugin = {
  name: "next-entry-points-with-extension",
  setup(build) {
    build.onResolve({ filter: /^next\/[\w-]+$/ }, ({ path }) => ({ path: `${path}.js`, external: true }));
  },
};

await build({
  entryPoints: {
    start: "scripts/docker-start.ts",
    server: "scripts/server.ts",
    cli: "scripts/cli.ts",
    migrate: "scripts/migrate.ts",
  },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  // The server entry imports its data plane and boot code once Next has prepared, with `import()`: Next's modules
  // they import may only load then. Split, they stay in chunks of their own and load as late as from the sources.
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // The `@/` paths come from tsconfig.json; every package is imported from node_modules at run time.
  packages: "external",
  // `import "server-only"` is a marker only Next's bundler resolves to a no-op on the server (outside it,
  // scripts/server-only-hook.mjs or --conditions=react-server do); here it is compiled away.
  alias: { "server-only": "./node_modules/server-only/empty.js" },
  plugins: [nextEntryPointsWithExtension],
  logLevel: "warning",
});
