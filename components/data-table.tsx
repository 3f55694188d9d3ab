import type { ReactNode } from "react";
import { cn } from "./ui/cn";

export interface Column {
  label: string;
  /** Read by screen readers only, for a column of buttons. */
  hidden?: boolean;
}

/**
 * A table inside a region that scrolls sideways on narrow screens. The region can be focused, so it also
 * scrolls by keyboard, and is named by `label` or by the heading `labelledBy` points at. `minWidth` is a Tailwind
 * class (e.g. "min-w-[52rem]"), not a style attribute: the Content-Security-Policy allows no inline styles.
 */
export function DataTable({ columns, minWidth, children, ...name }: { columns: Column[]; minWidth: string; children: ReactNode } & ({ label: string } | { labelledBy: string })) {
  return (
    <div
      role="region"
      aria-label={"label" in name ? name.label : undefined}
      aria-labelledby={"labelledBy" in name ? name.labelledBy : undefined}
      tabIndex={0}
      className="overflow-x-auto rounded-lg border border-slate-200 bg-white focus-visible:outline-2 focus-visible:outline-indigo-600"
    >
      <table className={cn("w-full text-left text-sm", minWidth)}>
        <thead className="border-b border-slate-200 bg-slate-50 text-xs font-semibold text-slate-700 uppercase">
          <tr>
            {columns.map((column) => (
              <th key={column.label} scope="col" className="px-4 py-2.5">
                {column.hidden ? <span className="sr-only">{column.label}</span> : column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 align-top">{children}</tbody>
      </table>
    </div>
  );
}

/** Column definitions from labels; an "Actions" column is for screen readers only. */
export const columns = (...labels: string[]): Column[] => labels.map((label) => ({ label, hidden: label === "Actions" }));
