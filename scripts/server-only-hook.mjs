/**
 * Preloaded into the server entry (`node --import ./scripts/server-only-hook.mjs …`): its lean path imports server
 * modules, which begin with `import "server-only"`, a marker that only Next's bundler turns into a no-op on the
 * server. This maps that one specifier to the marker's empty module; nothing else is resolved differently (unlike
 * `--conditions=react-server`, which would also change how Next's and React's own `require`s resolve).
 */
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(`
      export async function resolve(specifier, context, nextResolve) {
        if (specifier === "server-only") return { url: ${JSON.stringify(new URL("../node_modules/server-only/empty.js", import.meta.url).href)}, shortCircuit: true };
        return nextResolve(specifier, context);
      }`),
);
