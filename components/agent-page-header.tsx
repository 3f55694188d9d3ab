import Link from "next/link";
import type { ReactNode } from "react";

/** The top of an agent console page: an optional way back, the one h1, a line of context and page actions. */
export function AgentPageHeader({ title, description, back, actions }: { title: string; description?: ReactNode; back?: { href: string; label: string }; actions?: ReactNode }) {
  return (
    <div className="flex flex-wrap items-start justify-between gap-3">
      <div className="min-w-0">
        {back && (
          <Link href={back.href} className="mb-2 inline-block text-sm font-medium text-indigo-700 underline-offset-2 hover:underline">
            ← {back.label}
          </Link>
        )}
        <h1 className="break-words text-2xl font-semibold text-slate-900">{title}</h1>
        {description && <p className="mt-1 text-sm text-slate-600">{description}</p>}
      </div>
      {actions}
    </div>
  );
}
