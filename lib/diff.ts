/**
 * Differences between two rule sets, for any kind of rule: agent policy versions (typed rules) and security policy
 * revisions (rule strings). Safe for the browser.
 */

/** One field that differs between two rules or two versions, by its dotted path ("config.threshold"). */
export interface FieldChange {
  path: string;
  kind: "added" | "removed" | "changed";
  from?: unknown;
  to?: unknown;
}

export type RuleChange<R> =
  | { kind: "added"; type: string; toIndex: number; rule: R }
  | { kind: "removed"; type: string; fromIndex: number; rule: R }
  | { kind: "changed"; type: string; fromIndex: number; toIndex: number; from: R; to: R; fields: FieldChange[] }
  | { kind: "unchanged"; type: string; fromIndex: number; toIndex: number; rule: R };

/** What changed between two rule sets: their other fields, then rule by rule. */
export interface RuleSetDiff<R> {
  fields: FieldChange[];
  /** In the order of the newer rules, each removed rule where it stood. */
  rules: RuleChange<R>[];
  counts: Record<RuleChange<R>["kind"], number>;
}

/** How rules are compared: rules match only within a group, and differ by their fields. */
export interface RuleModel<R> {
  group: (rule: R) => string;
  fields: (rule: R) => Record<string, unknown>;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Structural equality of JSON values; object key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && jsonEqual(a[key], b[key]));
  }
  return false;
}

/** Field-level differences; nested objects (a custom rule's params) are walked, arrays compare whole. */
export function diffFields(from: Record<string, unknown>, to: Record<string, unknown>, prefix = ""): FieldChange[] {
  const changes: FieldChange[] = [];
  const keys = [...Object.keys(from), ...Object.keys(to).filter((key) => !(key in from))];
  for (const key of keys) {
    const path = prefix + key;
    const inFrom = key in from && from[key] !== undefined;
    const inTo = key in to && to[key] !== undefined;
    if (!inFrom && inTo) changes.push({ path, kind: "added", to: to[key] });
    else if (inFrom && !inTo) changes.push({ path, kind: "removed", from: from[key] });
    else if (isPlainObject(from[key]) && isPlainObject(to[key])) changes.push(...diffFields(from[key], to[key], `${path}.`));
    else if (!jsonEqual(from[key], to[key])) changes.push({ path, kind: "changed", from: from[key], to: to[key] });
  }
  return changes;
}

/**
 * Rules carry no ids, so they are matched: first identical rules (wherever they moved), then each remaining
 * newer rule with the unmatched older rule of its group (an agent rule's type) it differs from least (the nearest
 * on a tie).
 * What stays unmatched was added or removed.
 */
export function diffRuleLists<R>(from: R[], to: R[], model: RuleModel<R>): RuleChange<R>[] {
  const matchOf = new Map<number, number>(); // to index -> from index
  const taken = new Set<number>();
  const claim = (toIndex: number, fromIndex: number) => {
    matchOf.set(toIndex, fromIndex);
    taken.add(fromIndex);
  };

  to.forEach((rule, toIndex) => {
    const candidates = from.map((_, index) => index).filter((index) => !taken.has(index) && jsonEqual(from[index], rule));
    const best = candidates.includes(toIndex) ? toIndex : candidates[0];
    if (best !== undefined) claim(toIndex, best);
  });

  to.forEach((rule, toIndex) => {
    if (matchOf.has(toIndex)) return;
    let best: { index: number; score: number; distance: number } | undefined;
    from.forEach((candidate, index) => {
      if (taken.has(index) || model.group(candidate) !== model.group(rule)) return;
      const score = diffFields(model.fields(candidate), model.fields(rule)).length;
      const distance = Math.abs(index - toIndex);
      if (!best || score < best.score || (score === best.score && distance < best.distance)) best = { index, score, distance };
    });
    if (best) claim(toIndex, best.index);
  });

  const changes: RuleChange<R>[] = [];
  const removed = from.map((_, index) => index).filter((index) => !taken.has(index));
  const flushRemovedBefore = (limit: number) => {
    while (removed.length > 0 && removed[0]! < limit) {
      const fromIndex = removed.shift()!;
      const rule = from[fromIndex]!;
      changes.push({ kind: "removed", type: model.group(rule), fromIndex, rule });
    }
  };

  to.forEach((rule, toIndex) => {
    const fromIndex = matchOf.get(toIndex);
    if (fromIndex === undefined) {
      // A rule replaced in place reads as removed, then added.
      flushRemovedBefore(toIndex + 1);
      changes.push({ kind: "added", type: model.group(rule), toIndex, rule });
      return;
    }
    flushRemovedBefore(fromIndex);
    const previous = from[fromIndex]!;
    const fields = diffFields(model.fields(previous), model.fields(rule));
    changes.push(
      fields.length === 0
        ? { kind: "unchanged", type: model.group(rule), fromIndex, toIndex, rule }
        : { kind: "changed", type: model.group(rule), fromIndex, toIndex, from: previous, to: rule, fields },
    );
  });
  flushRemovedBefore(Infinity);
  return changes;
}

/** The whole difference: `fields` of the two sets (name, description…), then their rules. */
export function diffRuleSets<R>(fields: { from: Record<string, unknown>; to: Record<string, unknown> }, rules: { from: R[]; to: R[] }, model: RuleModel<R>): RuleSetDiff<R> {
  const changes = diffRuleLists(rules.from, rules.to, model);
  const counts = { added: 0, removed: 0, changed: 0, unchanged: 0 };
  for (const change of changes) counts[change.kind]++;
  return { fields: diffFields(fields.from, fields.to), rules: changes, counts };
}
