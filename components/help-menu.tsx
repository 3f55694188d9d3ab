/** The console's help menu: a disclosure that needs no JavaScript, with the API reference and its document. */
export function HelpMenu() {
  return (
    <details className="group border-t border-slate-800 px-3 py-3 text-sm">
      <summary className="cursor-pointer rounded-md px-3 py-2 font-medium text-slate-300 hover:bg-slate-800/60 hover:text-white focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-400">
        Help
      </summary>
      <ul className="mt-1 space-y-0.5">
        <li>
          <a href="/docs/api" className="block rounded-md px-3 py-2 text-slate-300 hover:bg-slate-800/60 hover:text-white">
            API reference
          </a>
        </li>
        <li>
          <a href="/api/openapi.json" className="block rounded-md px-3 py-2 text-slate-300 hover:bg-slate-800/60 hover:text-white">
            OpenAPI document (JSON)
          </a>
        </li>
      </ul>
    </details>
  );
}
