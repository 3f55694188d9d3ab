import Link from "next/link";
import type { Policy } from "@/db/schema";
import { isCriticalPolicy } from "@/lib/policies/defaults";
import { POLICY_TYPE_LABELS, POLICY_TYPE_TONES } from "./policy-labels";
import { PolicyStatus } from "./policy-status";
import { PolicyToggle } from "./policy-toggle";
import { Badge } from "./ui/badge";
import { buttonClasses } from "./ui/button";

/** A policy with its description and rules; admins get its switch and an edit link, viewers its state as text. */
export function PolicyCard({ policy, canEdit }: { policy: Policy; canEdit: boolean }) {
  const critical = isCriticalPolicy(policy.id);
  const href = `/policies/${encodeURIComponent(policy.id)}`;
  return (
    <article aria-labelledby={`policy-${policy.id}`} className="rounded-lg border border-slate-200 bg-white p-5 shadow-xs" data-testid="policy-card">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h3 id={`policy-${policy.id}`} className="text-base font-semibold text-slate-900">
            <Link href={href} className="underline-offset-2 hover:underline">
              {policy.name}
            </Link>
          </h3>
          <div className="mt-1 flex flex-wrap items-center gap-1.5">
            <code className="text-xs text-slate-600">{policy.id}</code>
            <Badge tone={POLICY_TYPE_TONES[policy.type]}>{POLICY_TYPE_LABELS[policy.type]}</Badge>
            {critical && <Badge tone="amber">Critical</Badge>}
          </div>
        </div>
        {canEdit ? (
          <PolicyToggle id={policy.id} name={policy.name} enabled={policy.enabled} critical={critical} />
        ) : (
          <PolicyStatus enabled={policy.enabled} critical={critical} />
        )}
      </div>
      {policy.description && <p className="mt-3 text-sm text-slate-700">{policy.description}</p>}
      <ol className="mt-3 list-decimal space-y-1 pl-5 text-sm text-slate-700" aria-label={`Rules of ${policy.name}`}>
        {policy.rules.map((rule, index) => (
          <li key={index}>{rule}</li>
        ))}
      </ol>
      <div className="mt-4 flex gap-2">
        <Link href={href} className={buttonClasses("secondary", "sm")} aria-label={`Details and history of ${policy.name}`}>
          Details and history
        </Link>
        {canEdit && (
          <Link href={`${href}/edit`} className={buttonClasses("ghost", "sm")} aria-label={`Edit ${policy.name}`}>
            Edit
          </Link>
        )}
      </div>
    </article>
  );
}
