import type { ReactNode } from "react";
import { cn } from "./ui/cn";

export interface AgentTableColumn {
  label: string;
  /** Named for screen readers only (an actions column). */
  hidden?: boolean;
  numeric?: boolean;
}

// Cell padding is set here once, not on every cell: "flush" runs edge to edge in a card, "inset" sits in a padded card body.
const LAYOUTS = {
  flush: {
    table: "[&_td]:px-3 [&_td]:py-3 [&_th]:px-3 [&_th]:py-3 [&_thead_th]:py-2 [&_tr>:first-child]:pl-5 [&_tr>:last-child]:pr-5",
    head: "bg-slate-50",
    body: "divide-slate-200",
  },
  inset: {
    table: "[&_td]:py-2 [&_td]:pr-3 [&_th]:py-2 [&_th]:pr-3 [&_tr>:last-child]:pr-0",
    head: "",
    body: "divide-slate-100",
  },
} as const;

/**
 * A table that, on a narrow screen, scrolls sideways inside its own labelled region (focusable, so the keyboard
 * can scroll it) rather than the page. `relative` keeps screen-reader-only text inside that region too.
 */
export function AgentTable({
  label,
  columns,
  minWidth,
  layout = "flush",
  children,
}: {
  label: string;
  columns: AgentTableColumn[];
  /** A Tailwind min-width class, e.g. "min-w-[40rem]". */
  minWidth: string;
  layout?: keyof typeof LAYOUTS;
  children: ReactNode;
}) {
  const styles = LAYOUTS[layout];
  return (
    <div role="region" aria-label={label} tabIndex={0} className="relative overflow-x-auto focus-visible:outline-2 focus-visible:outline-indigo-600">
      <table className={cn("w-full text-left text-sm", minWidth, styles.table)}>
        <thead className={cn("text-xs uppercase tracking-wide text-slate-600", styles.head)}>
          <tr>
            {columns.map((column) => (
              <th key={column.label} scope="col" className={cn("font-medium", column.numeric && "text-right")}>
                {column.hidden ? <span className="sr-only">{column.label}</span> : column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className={cn("divide-y", styles.body)}>{children}</tbody>
      </table>
    </div>
  );
}
