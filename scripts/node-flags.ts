/**
 * How Palisade's own Node processes (the CLI, `npm start`, migrations, the benchmark) are started outside Next's
 * bundler: with the `react-server` condition, which makes `import "server-only"` in server modules the no-op it
 * is on the server. Next's bundler is what makes it an error in browser code.
 *
 * Not the server entry (scripts/server.ts): Next and React load in that process, and the condition would apply
 * to their own `require`s too. The entry imports no `server-only` module.
 */
export const SERVER_CONDITIONS = ["--conditions=react-server"];

/** How the production server entry is started (by `npm start`, or as a container's command, from the project directory). */
export const SERVER_ENTRY_ARGS = ["--import", "tsx/esm", "--import", "./scripts/server-only-hook.mjs", "scripts/server.ts"];
