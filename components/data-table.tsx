import type { ReactNode } from "react";
import { cn } from "./ui/cn";

export interface Column {
  label: string;
  /** Read by screen readers only, for a column of buttons. */
  hidden?: boolean;
  /** Right-aligned, for figures. */
  numeric?: boolean;
}

// Where the table sits, and so its frame and cell padding, set here once rather than on every cell. The
// selectors reach only this table's own cells, not those of a table nested in one (an audit entry's diff).
const LAYOUTS = {
  /** On its own, framed. */
  framed: {
    frame: "rounded-lg border border-slate-200 bg-white",
    table: "[&>*>tr>*]:px-4 [&>*>tr>*]:py-3 [&>thead>tr>*]:py-2.5",
    head: "bg-slate-50",
  },
  /** Edge to edge in a card, lined up with the card's header. */
  flush: {
    frame: "",
    table: "[&>*>tr>*]:px-3 [&>*>tr>*]:py-3 [&>thead>tr>*]:py-2 [&>*>tr>:first-child]:pl-5 [&>*>tr>:last-child]:pr-5",
    head: "bg-slate-50",
  },
  /** Inside a card's padded body. */
  inset: {
    frame: "",
    table: "[&>*>tr>*]:py-2 [&>*>tr>*]:pr-3 [&>*>tr>:last-child]:pr-0",
    head: "",
  },
} as const;

/**
 * A table inside a region that scrolls sideways on narrow screens, rather than the page. The region can be
 * focused, so it also scrolls by keyboard, and is named by `label` or by the heading `labelledBy` points at;
 * `relative` keeps screen-reader-only text inside it too. `minWidth` is a Tailwind class (e.g. "min-w-[52rem]"),
 * not a style attribute: the Content-Security-Policy allows no inline styles.
 */
export function DataTable({
  columns,
  minWidth,
  layout = "framed",
  children,
  ...name
}: { columns: Column[]; minWidth: string; layout?: keyof typeof LAYOUTS; children: ReactNode } & ({ label: string } | { labelledBy: string })) {
  const styles = LAYOUTS[layout];
  return (
    <div
      role="region"
      aria-label={"label" in name ? name.label : undefined}
      aria-labelledby={"labelledBy" in name ? name.labelledBy : undefined}
      tabIndex={0}
      className={cn("relative overflow-x-auto focus-visible:outline-2 focus-visible:outline-indigo-600", styles.frame)}
    >
      <table className={cn("w-full text-left text-sm", minWidth, styles.table)}>
        <thead className={cn("border-b border-slate-200 text-xs font-semibold text-slate-700 uppercase", styles.head)}>
          <tr>
            {columns.map((column) => (
              <th key={column.label} scope="col" className={cn(column.numeric && "text-right")}>
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
