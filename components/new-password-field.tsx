import { Field, Input } from "./ui/field";
import { invalidProps } from "./use-console-action";

/** A password being chosen: the length rule as its hint, and marked as new for password managers. */
export function NewPasswordField({ id, name, label, minLength, fields }: { id: string; name: string; label: string; minLength: number; fields?: Record<string, string> }) {
  return (
    <Field id={id} label={label} hint={`At least ${minLength} characters.`} error={fields?.[name]}>
      <Input id={id} name={name} type="password" required minLength={minLength} autoComplete="new-password" aria-describedby={`${id}-hint`} {...invalidProps(fields, name, id)} />
    </Field>
  );
}
