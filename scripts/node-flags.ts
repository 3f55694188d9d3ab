/**
 * How Palisade's own Node processes (the CLI, the server entry, migrations) are started outside Next's bundler:
 * with the `react-server` condition, which makes `import "server-only"` in server modules the no-op it is on the
 * server. Next's bundler is what makes it an error in browser code.
 */
export const SERVER_CONDITIONS = ["--conditions=react-server"];
