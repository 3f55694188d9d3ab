import Link from "next/link";
import { buttonClasses } from "./ui/button";

export function NotFoundMessage() {
  return (
    <div className="mx-auto max-w-md py-16 text-center">
      <p className="text-sm font-semibold text-indigo-700">404</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight text-slate-900">Page not found</h1>
      <p className="mt-2 text-sm text-slate-600">
        There is nothing here. It may have been deleted, or it belongs to another organization, or the address is mistyped.
      </p>
      <div className="mt-6 flex justify-center gap-2">
        <Link href="/" className={buttonClasses("primary")}>
          Go to the overview
        </Link>
        <Link href="/policies" className={buttonClasses("secondary")}>
          Security policies
        </Link>
      </div>
    </div>
  );
}
