import Link from "next/link";
import { Fragment } from "react";

export const POLICIES_CRUMB = { href: "/policies", label: "Security policies" };
export const AGENT_POLICY_CRUMB = { href: "/agent-policy", label: "Agent policy" };
export const AGENTS_CRUMB = { href: "/agents", label: "Agents" };

/** The pages above this one, each a link, ending with a separator before the page's own title. */
export function Breadcrumb({ trail }: { trail: { href: string; label: string }[] }) {
  return (
    <nav aria-label="Breadcrumb">
      {trail.map((step) => (
        <Fragment key={step.href}>
          <Link href={step.href} className="underline-offset-2 hover:underline">
            {step.label}
          </Link>{" "}
          /{" "}
        </Fragment>
      ))}
    </nav>
  );
}
