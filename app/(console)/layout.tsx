import type { ReactNode } from "react";
import { ConsoleNav, type NavItem } from "@/components/console-nav";
import { HelpMenu } from "@/components/help-menu";
import { SessionTimeoutWatcher } from "@/components/session-timeout-watcher";
import { countPendingChangeRequests } from "@/db/queries/change-requests";
import { requireUser } from "@/lib/auth/session";
import { signOutAction } from "./actions";

const NAV: NavItem[] = [
  { href: "/", label: "Overview" },
  { href: "/policies", label: "Policies" },
  { href: "/audit", label: "Audit log" },
  { href: "/agents", label: "Agents" },
  { href: "/agent-policy", label: "Agent policy" },
  { href: "/settings/tokens", label: "API tokens" },
];
const ADMIN_NAV: NavItem[] = [
  { href: "/settings/users", label: "Users" },
  { href: "/settings/organization", label: "Organization" },
  { href: "/settings/audit-streaming", label: "Audit streaming" },
];
const ACCOUNT_NAV: NavItem[] = [{ href: "/settings/account", label: "Your account" }];

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const { user, session } = await requireUser();
  const pending = await countPendingChangeRequests({ orgId: user.orgId });
  const approvals: NavItem = { href: "/change-requests", label: "Change requests", count: pending };
  const items = [...NAV, approvals, ...(user.role === "admin" ? ADMIN_NAV : []), ...ACCOUNT_NAV];
  const account = (
    <div className="border-t border-slate-800 px-3 py-4 text-sm">
      <p className="truncate font-medium text-white" title={user.email}>
        {user.email}
      </p>
      <p className="text-xs text-slate-400">{user.role === "admin" ? "Admin" : "Viewer (read-only)"}</p>
      <form action={signOutAction} className="mt-3">
        <button type="submit" className="text-sm font-medium text-slate-300 underline-offset-2 hover:text-white hover:underline">
          Sign out
        </button>
      </form>
    </div>
  );

  return (
    <div className="min-h-screen lg:flex">
      <SessionTimeoutWatcher idleExpiresAt={session.deadlines?.idleExpiresAt.toISOString() ?? null} />
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      {/* Narrow screens: a disclosure menu that needs no JavaScript. */}
      <header className="bg-slate-900 text-white lg:hidden">
        <details className="group">
          <summary className="flex cursor-pointer list-none items-center justify-between px-4 py-3">
            <span className="font-semibold tracking-tight">Palisade</span>
            <span className="text-sm text-slate-300">Menu</span>
          </summary>
          <nav aria-label="Main" className="px-2 pb-2">
            <ConsoleNav items={items} />
          </nav>
          <HelpMenu />
          {account}
        </details>
      </header>
      <aside className="hidden w-60 shrink-0 flex-col bg-slate-900 lg:flex">
        <div className="px-5 py-5 text-lg font-semibold tracking-tight text-white">Palisade</div>
        <nav aria-label="Main" className="flex-1 px-3">
          <ConsoleNav items={items} />
        </nav>
        <HelpMenu />
        {account}
      </aside>
      <main id="main" className="min-w-0 flex-1 px-4 py-6 sm:px-8 lg:py-8">
        <div className="mx-auto max-w-6xl">{children}</div>
      </main>
    </div>
  );
}
