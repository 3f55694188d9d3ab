import Link from "next/link";
import { CopyButton } from "./copy-button";
import { Alert } from "./ui/alert";
import { buttonClasses } from "./ui/button";

/** The recovery codes an enrolment just issued: shown once, never again. */
export function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div className="space-y-5">
      <h1 className="text-lg font-semibold text-slate-900">Save your recovery codes</h1>
      <Alert tone="warning" title="Shown only once">
        Each code signs you in once if you lose your passkey or authenticator. Store them somewhere safe, such as a password manager.
      </Alert>
      <ul aria-label="Recovery codes" className="grid grid-cols-2 gap-2 rounded-md bg-slate-50 p-4 font-mono text-sm text-slate-900">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-2">
        <CopyButton value={codes.join("\n")} label="Copy codes" />
        <Link href="/" className={buttonClasses("primary")}>
          I have saved them, continue
        </Link>
      </div>
    </div>
  );
}
