"use client";

import { unstable_rethrow } from "next/navigation";
import { useActionState, useEffect, useRef, useState, useTransition, type FormEvent, type RefObject } from "react";
import type { FormState } from "@/lib/forms";

/** A server action as the console calls it: the last state and a payload in, the next state out. */
export type ServerAction<S, P> = (previous: S, payload: P) => Promise<S>;

const UNREACHABLE_MESSAGE = "The server could not be reached. Nothing was changed; try again.";

/** For an action whose state is not a FormState (the sign-in's step, email and organization). */
export interface CustomState<S> {
  initialState: S;
  /** The state to show when the server could not be reached, from the last one and the message. */
  unreachable: (previous: S, message: string) => S;
}

export interface ConsoleAction<S, P> {
  /** The last answer (or the initial state). */
  state: S;
  /** True from `run` until its answer is shown. */
  pending: boolean;
  /**
   * Runs the action in a transition, shows its answer in `state`, and returns it. A network failure (or any
   * failure but Next's navigation signals) becomes `{ error: "The server could not be reached…" }`, so it is
   * never an error page. When the action redirects, the router navigates and the promise rejects with the
   * redirect: await it inside `startTransition` (from `useTransition`) so that Next's boundary receives it,
   * as it does for `useActionState`; the hook's own transition already does, so a `run` not awaited is fine.
   */
  run: (payload: P) => Promise<S>;
}

/** For a FormState: no answer yet, and only the message when the server cannot be reached. */
const FORM_STATE: CustomState<FormState<never>> = { initialState: {}, unreachable: (_previous, error) => ({ error }) };
// The overloads only let this stand in for a FormState<T>.
const formStateDefaults = <S>() => FORM_STATE as CustomState<unknown> as CustomState<S>;

/** The one place a component calls a server action; `onAnswer` sees each answer that came from the server. */
function useActionRunner<S, P>(action: ServerAction<S, P>, { initialState, unreachable }: CustomState<S>, onAnswer?: (answer: S) => void): ConsoleAction<S, P> {
  const [state, setState] = useState(initialState);
  const [pending, startTransition] = useTransition();

  const call = async (previous: S, payload: P): Promise<S> => {
    let answer: S;
    try {
      answer = await action(previous, payload);
    } catch (error) {
      // redirect() and notFound() reach the client as errors; the router has to see them.
      unstable_rethrow(error);
      return unreachable(previous, UNREACHABLE_MESSAGE);
    }
    onAnswer?.(answer);
    return answer;
  };

  const run = (payload: P): Promise<S> => {
    // startTransition calls its function at once, so `outcome` is set before it is returned.
    let outcome!: Promise<S>;
    startTransition(async () => {
      outcome = call(state, payload);
      const next = await outcome;
      // A state update after an await needs a transition of its own to be part of this one.
      startTransition(() => setState(next));
    });
    return outcome;
  };

  return { state, pending, run };
}

/**
 * Runs a console server action from code (an event handler, an optimistic switch, an editor posting JSON) and
 * keeps its last answer. Unlike `<form action>`, it never resets a form, so what the user typed survives a
 * validation error. The state is a FormState unless `custom` says otherwise.
 */
export function useConsoleAction<P, T = undefined>(action: ServerAction<FormState<T>, P>): ConsoleAction<FormState<T>, P>;
export function useConsoleAction<P, S>(action: ServerAction<S, P>, custom: CustomState<S>): ConsoleAction<S, P>;
export function useConsoleAction<P, S>(action: ServerAction<S, P>, custom?: CustomState<S>): ConsoleAction<S, P> {
  return useActionRunner(action, custom ?? formStateDefaults<S>());
}

export interface ConsoleFormOptions {
  /**
   * When the form's fields are cleared: after a success (the default: what was typed survives an error), or after
   * every answer from the server, as React does for `<form action>` (the sign-in, setup and enrolment forms, which
   * have always worked that way). An unreachable server never clears anything.
   */
  reset?: "after-success" | "after-every-answer";
}

export interface ConsoleForm<S> {
  state: S;
  pending: boolean;
  /** For the <form>: `action` serves a submission before the page's script runs, `onSubmit` every one after. */
  formProps: { ref: RefObject<HTMLFormElement | null>; action: (payload: FormData) => void; onSubmit: (event: FormEvent<HTMLFormElement>) => void };
}

/**
 * A form posting its FormData to a console action: spread `formProps` on the <form>. Once the page's script runs,
 * a submission goes through `run` above; before that, the browser posts the form to the action itself and the
 * page comes back with its answer (progressive enhancement, through `useActionState`), so a form submitted
 * early, or by a password manager, still works; its fields never end up in a URL.
 */
export function useConsoleForm<T = undefined>(action: ServerAction<FormState<T>, FormData>, options?: ConsoleFormOptions): ConsoleForm<FormState<T>>;
export function useConsoleForm<S>(action: ServerAction<S, FormData>, options: ConsoleFormOptions & CustomState<S>): ConsoleForm<S>;
export function useConsoleForm<S>(action: ServerAction<S, FormData>, options: ConsoleFormOptions & Partial<CustomState<S>> = {}): ConsoleForm<S> {
  const { reset = "after-success", ...custom } = options;
  const defaults = formStateDefaults<S>();
  const initialState = custom.initialState ?? defaults.initialState;
  // Only for a submission before the script runs: afterwards `onSubmit` prevents it. Its state is then the
  // answer the server rendered the page with, or the initial state.
  const [answered, formAction] = useActionState<S, FormData>(action as ServerAction<Awaited<S>, FormData>, initialState as Awaited<S>);
  const ref = useRef<HTMLFormElement>(null);
  const resetDue = useRef(false);
  const { state, pending, run } = useActionRunner(action, { initialState: answered, unreachable: custom.unreachable ?? defaults.unreachable }, (answer) => {
    if (reset === "after-every-answer" || (answer as FormState<unknown>).success) resetDue.current = true;
  });
  useEffect(() => {
    if (!resetDue.current) return;
    resetDue.current = false;
    ref.current?.reset();
  }, [state]);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    // The hidden fields React adds for a post before the script runs name the action; they are not the form's.
    for (const key of [...data.keys()]) if (key.startsWith("$ACTION_")) data.delete(key);
    void run(data);
  };
  return { state, pending, formProps: { ref, action: formAction, onSubmit } };
}

/** aria-invalid and aria-describedby for an input whose field has an error, so the message is read with it. */
export function invalidProps(fields: Record<string, string> | undefined, name: string, id = name) {
  return fields?.[name] ? { "aria-invalid": true, "aria-describedby": `${id}-error` } : {};
}
