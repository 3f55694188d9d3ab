import { Fragment } from "react";

/**
 * The document's descriptions are CommonMark; they are written in a small subset of it (lib/openapi/operations.ts),
 * which this renders as React elements, never as HTML: paragraphs, `- ` lists and `code` spans.
 */
export function DocText({ text, className }: { text: string | undefined; className?: string }) {
  if (!text) return null;
  const blocks = text.split(/\n\s*\n/).map((block) => block.trim()).filter(Boolean);
  return (
    <div className={className ?? "space-y-2 text-sm leading-6 text-slate-700"}>
      {blocks.map((block, index) => {
        const lines = block.split("\n");
        if (lines.every((line) => line.startsWith("- "))) {
          return (
            <ul key={index} className="list-disc space-y-1 pl-5">
              {lines.map((line, item) => (
                <li key={item}>
                  <Inline text={line.slice(2)} />
                </li>
              ))}
            </ul>
          );
        }
        return (
          <p key={index}>
            <Inline text={lines.join(" ")} />
          </p>
        );
      })}
    </div>
  );
}

/** Text with `code` spans. */
export function Inline({ text }: { text: string }) {
  return (
    <>
      {text.split("`").map((part, index) =>
        index % 2 === 1 ? (
          <code key={index} className="rounded bg-slate-100 px-1 py-0.5 font-mono text-[0.85em] text-slate-800">
            {part}
          </code>
        ) : (
          <Fragment key={index}>{part}</Fragment>
        ),
      )}
    </>
  );
}
