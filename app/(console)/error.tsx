"use client";

import Link from "next/link";
import { Button, buttonClasses } from "@/components/ui/button";

/** A page of the console failed to render: say so plainly, offer a retry, and keep the navigation around it. */
export default function ConsoleError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="mx-auto max-w-md py-16 text-center">
      <title>Something went wrong · Palisade</title>
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Something went wrong</h1>
      <p className="mt-2 text-sm text-slate-600">This page could not be loaded. Nothing was changed. Try again; if it keeps failing, the server log has the details.</p>
      {error.digest && <p className="mt-2 font-mono text-xs text-slate-600">Reference: {error.digest}</p>}
      <div className="mt-6 flex justify-center gap-2">
        <Button onClick={reset}>Try again</Button>
        <Link href="/" className={buttonClasses("secondary")}>
          Go to the overview
        </Link>
      </div>
    </div>
  );
}
