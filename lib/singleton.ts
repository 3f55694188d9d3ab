declare global {
  // One registry per process, shared by every bundle that loads this module.
  var palisadeSingletons: Map<string, unknown> | undefined;
}

/**
 * One instance per process of what `create` makes. Next.js may load a module once per bundle (instrumentation,
 * route handlers, pages), so a module-level variable would give each bundle its own copy: the event hub, the
 * database connection and the caches must be one.
 */
export function processSingleton<T>(name: string, create: () => T): T {
  const registry = (globalThis.palisadeSingletons ??= new Map());
  if (!registry.has(name)) registry.set(name, create());
  return registry.get(name) as T;
}

/** Forgets a singleton, so the next call creates it anew (closing the database, in tests), and returns it if it existed. */
export function dropProcessSingleton<T>(name: string): T | undefined {
  const existing = globalThis.palisadeSingletons?.get(name) as T | undefined;
  globalThis.palisadeSingletons?.delete(name);
  return existing;
}
