import Form from "next/form";
import { formatVersion } from "@/lib/agent-policy/rules";
import { Button } from "./ui/button";
import { Select } from "./ui/field";

/** Picks any two versions to compare; a plain GET form, so it works before (and without) JavaScript. */
export function PolicyVersionCompareForm({ versions, from, to }: { versions: { version: number; name: string }[]; from: number; to: number }) {
  const choice = (name: "from" | "to", label: string, selected: number) => (
    <div className="min-w-32 flex-1 space-y-1.5 sm:flex-none">
      <label htmlFor={`compare-${name}`} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      <Select id={`compare-${name}`} name={name} defaultValue={formatVersion(selected)}>
        {versions.map(({ version, name: title }) => (
          <option key={version} value={formatVersion(version)}>
            {formatVersion(version)} · {title}
          </option>
        ))}
      </Select>
    </div>
  );
  return (
    <Form action="/agent-policy/diff" className="flex flex-wrap items-end gap-3" aria-label="Compare versions">
      {choice("from", "From", from)}
      {choice("to", "To", to)}
      <Button type="submit" variant="secondary">
        Compare
      </Button>
    </Form>
  );
}
