import { CopyButton } from '../../ui/CopyButton.js';

/** Code to paste somewhere else, with its own copy button. */
export function CodeBlock({ code, label, copyLabel = 'Copy' }: { code: string; label: string; copyLabel?: string }) {
  return (
    <div className="code-block">
      {/* Focusable, so a keyboard user can scroll a long line into view. */}
      <pre tabIndex={0} aria-label={label}>
        <code>{code}</code>
      </pre>
      <div className="code-block-copy">
        <CopyButton text={code} label={copyLabel} />
      </div>
    </div>
  );
}
