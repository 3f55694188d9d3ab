import { hotCounters } from "./metrics";

/**
 * postgres.js shows no pool statistics, so Palisade counts what it asks of the pool: the database client with
 * `methods` (each a statement, or a whole transaction, which holds one connection throughout) counted from the
 * call until its promise settles, and the pool's size. In use is that count up to the pool's size; the rest wait
 * (postgres.js queues them, or pipelines them behind a busy connection's statement). Only calls through this
 * wrapper count: the driver's own (postgres.js sends BEGIN through its own `unsafe`) are not counted twice.
 */
export function countingOperations<T extends object>(client: T, methods: readonly (keyof T & string)[], poolMax: number): T {
  hotCounters.databasePoolMax = poolMax;
  const counted = new Set<PropertyKey>(methods);
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      let wrapper = wrappers.get(property);
      if (wrapper === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        wrapper = counted.has(property) ? countCalls(method, target) : method.bind(target);
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

const finished = () => {
  hotCounters.databaseOperations--;
};

function countCalls(method: (...args: unknown[]) => unknown, target: object) {
  return (...args: unknown[]) => {
    const operation = method.apply(target, args);
    hotCounters.databaseOperations++;
    // Settles with the operation. A postgres.js query is sent once first awaited; this awaits it a microtask after
    // the caller has chosen how (drizzle's `.values()`), so it changes nothing about what is sent.
    Promise.resolve(operation).then(finished, finished);
    return operation;
  };
}
