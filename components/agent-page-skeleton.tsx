/** The loading state of the agent pages: the shape of a heading and two cards, announced politely. */
export function AgentPageSkeleton({ label }: { label: string }) {
  return (
    <div role="status" className="space-y-6">
      <span className="sr-only">{label}</span>
      <div aria-hidden="true" className="animate-pulse space-y-6 motion-reduce:animate-none">
        <div className="space-y-2">
          <div className="h-7 w-48 rounded bg-slate-200" />
          <div className="h-4 w-full max-w-md rounded bg-slate-200" />
        </div>
        <div className="h-44 rounded-lg bg-slate-200" />
        <div className="h-72 rounded-lg bg-slate-200" />
      </div>
    </div>
  );
}
