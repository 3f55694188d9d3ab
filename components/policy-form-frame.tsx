"use client";

import { useId, type ReactNode } from "react";
import { Alert } from "./ui/alert";

/** A policy form: named by its (visually hidden) title, submitted without a reload, the server's message on top. */
export function PolicyFormFrame({ title, error, onSubmit, children }: { title: string; error?: string; onSubmit: (form: HTMLFormElement) => void; children: ReactNode }) {
  const formId = useId();
  return (
    <form
      aria-labelledby={`${formId}-title`}
      method="post"
      className="space-y-6"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit(event.currentTarget);
      }}
    >
      <h2 id={`${formId}-title`} className="sr-only">
        {title}
      </h2>
      {error && <Alert tone="error">{error}</Alert>}
      {children}
    </form>
  );
}

/** The "enabled once created" checkbox of a new policy, read as `enabled` ("on") from the form. */
export function EnabledOnCreateField({ label }: { label: string }) {
  return (
    <div className="flex items-center gap-2 sm:pt-7">
      <input id="enabled" name="enabled" type="checkbox" defaultChecked className="h-4 w-4 rounded border-slate-300 text-indigo-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600" />
      <label htmlFor="enabled" className="text-sm font-medium text-slate-800">
        {label}
      </label>
    </div>
  );
}
