"use client";

import { startTransition, useActionState, useEffect, useRef, type FormEvent } from "react";
import type { FormState } from "@/lib/forms";

type ConsoleServerAction<P, T> = (previous: FormState<T> | undefined, payload: P) => Promise<FormState<T>>;

/**
 * Runs a console server action from an event handler and keeps its last result. Unlike `<form action>`,
 * it never resets the form, so what the user typed survives a validation error.
 */
export function useConsoleAction<P, T = undefined>(action: ConsoleServerAction<P, T>) {
  const [state, dispatch, pending] = useActionState<FormState<T>, P>(action, {});
  const run = (payload: P) => startTransition(() => dispatch(payload));
  return { state, pending, run };
}

/**
 * A form posting its FormData to a console action: spread `formProps` on the <form>. The form is cleared
 * after a success, and keeps what was typed after an error. (`method="post"` keeps fields such as passwords
 * out of the URL if someone submits before the page's script has loaded.)
 */
export function useConsoleForm<T = undefined>(action: ConsoleServerAction<FormData, T>) {
  const { state, pending, run } = useConsoleAction(action);
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (state.success) ref.current?.reset();
  }, [state]);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    run(new FormData(event.currentTarget));
  };
  return { state, pending, formProps: { ref, method: "post", onSubmit } };
}

/** aria-invalid and aria-describedby for an input whose field has an error, so the message is read with it. */
export function invalidProps(fields: Record<string, string> | undefined, name: string, id = name) {
  return fields?.[name] ? { "aria-invalid": true, "aria-describedby": `${id}-error` } : {};
}

const UNREACHABLE: FormState<never> = { error: "The server could not be reached. Nothing was changed; try again." };

/** Calls a console server action directly; a network failure becomes a message instead of an error page. */
export async function callConsoleAction<P, T>(action: ConsoleServerAction<P, T>, payload: P): Promise<FormState<T>> {
  try {
    return await action(undefined, payload);
  } catch {
    return UNREACHABLE;
  }
}
