import type { FormState } from "@/lib/forms";

/** A console action's outcome, shown beside the button that ran it: its error, and its success message when asked for. */
export function ActionOutcome({ result, showSuccess = true }: { result: FormState; showSuccess?: boolean }) {
  return (
    <>
      {result.error && (
        <span role="alert" className="max-w-xs text-xs font-medium text-red-700">
          {result.error}
        </span>
      )}
      {showSuccess && result.success && (
        <span role="status" className="max-w-xs text-xs font-medium text-emerald-700">
          {result.success}
        </span>
      )}
    </>
  );
}
