import { cn } from "./ui/cn";

function Bar({ className }: { className?: string }) {
  return <div aria-hidden="true" className={cn("animate-pulse rounded bg-slate-200 motion-reduce:animate-none", className)} />;
}

/** What a console page looks like while it loads: its header, then cards or a table. `label` is announced. */
export function PageSkeleton({ variant = "cards", label = "Loading…" }: { variant?: "cards" | "table"; label?: string }) {
  return (
    <div role="status" aria-live="polite" aria-busy="true">
      <span className="sr-only">{label}</span>
      <Bar className="h-7 w-48" />
      <Bar className="mt-3 h-4 w-80 max-w-full" />
      {variant === "cards" ? (
        <div className="mt-8 grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {Array.from({ length: 6 }, (_, index) => (
            <div key={index} className="space-y-3 rounded-lg border border-slate-200 bg-white p-5">
              <Bar className="h-4 w-2/3" />
              <Bar className="h-3 w-full" />
              <Bar className="h-3 w-5/6" />
            </div>
          ))}
        </div>
      ) : (
        <div className="mt-8 space-y-3 rounded-lg border border-slate-200 bg-white p-5">
          {Array.from({ length: 8 }, (_, index) => (
            <Bar key={index} className="h-5 w-full" />
          ))}
        </div>
      )}
    </div>
  );
}
