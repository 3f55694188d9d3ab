import { Badge } from "./ui/badge";
import { cn } from "./ui/cn";

type Snapshot = Record<string, unknown>;

const isSnapshot = (value: unknown): value is Snapshot => typeof value === "object" && value !== null && !Array.isArray(value);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function Value({ value }: { value: unknown }) {
  if (value === undefined || value === null) return <span className="text-slate-500">—</span>;
  if (value === "") return <span className="text-slate-600 italic">(empty)</span>;
  if (typeof value === "string") return <span className="[overflow-wrap:anywhere]">{value}</span>;
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) {
    return (
      <ol className="list-decimal space-y-0.5 pl-4">
        {value.map((item, index) => (
          <li key={index}>{item}</li>
        ))}
      </ol>
    );
  }
  return <code className="font-mono text-xs break-all whitespace-pre-wrap">{JSON.stringify(value, null, 2)}</code>;
}

/**
 * Before and after snapshots of a change, field by field, with the fields that changed highlighted and
 * labelled. A creation has no "before" and a deletion no "after", so nothing is marked there; anything that
 * is not a single record (the seeding of the default policies) is shown whole.
 */
export function AuditDiff({ before, after, labels = ["Before", "After"] }: { before: unknown; after: unknown; labels?: [string, string] }) {
  const records = [before, after].filter((side) => side !== null && side !== undefined);
  if (!records.every(isSnapshot)) {
    return (
      <div className="grid gap-3 sm:grid-cols-2">
        {[
          [labels[0], before],
          [labels[1], after],
        ].map(([label, value]) => (
          <div key={String(label)}>
            <p className="mb-1 text-xs font-semibold text-slate-700 uppercase">{String(label)}</p>
            <pre className="max-h-80 overflow-auto rounded bg-slate-50 p-2 text-xs text-slate-800">{value === null || value === undefined ? "—" : JSON.stringify(value, null, 2)}</pre>
          </div>
        ))}
      </div>
    );
  }
  const beforeRecord = isSnapshot(before) ? before : {};
  const afterRecord = isSnapshot(after) ? after : {};
  const fields = [...new Set([...Object.keys(beforeRecord), ...Object.keys(afterRecord)])];
  const comparing = isSnapshot(before) && isSnapshot(after);
  return (
    <table className="w-full min-w-[28rem] text-left text-xs">
      <caption className="sr-only">
        Fields in {labels[0]} and {labels[1]}; changed fields are marked
      </caption>
      <thead className="text-slate-700">
        <tr>
          <th scope="col" className="py-1 pr-3 font-semibold">
            Field
          </th>
          <th scope="col" className="py-1 pr-3 font-semibold">
            {labels[0]}
          </th>
          <th scope="col" className="py-1 font-semibold">
            {labels[1]}
          </th>
        </tr>
      </thead>
      <tbody className="align-top">
        {fields.map((field) => {
          const changed = comparing && !same(beforeRecord[field], afterRecord[field]);
          return (
            <tr key={field} className={cn("border-t border-slate-200", changed && "bg-amber-50")} data-changed={changed || undefined}>
              <th scope="row" className="py-1.5 pr-3 font-mono font-medium text-slate-800">
                {field}
                {changed && (
                  <Badge tone="amber" className="ml-2">
                    changed
                  </Badge>
                )}
              </th>
              <td className={cn("py-1.5 pr-3", changed && "text-red-800")}>
                <Value value={beforeRecord[field]} />
              </td>
              <td className={cn("py-1.5", changed && "text-emerald-800")}>
                <Value value={afterRecord[field]} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
