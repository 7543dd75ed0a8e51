import type { ReactNode } from 'react';
import { CopyButton } from '../../ui/CopyButton.js';
import { Notice } from '../../ui/ProblemAlert.js';
import { defaultSnippet } from './install-snippets.js';
import { InstallSnippets } from './InstallSnippets.js';
import type { SourceWithKey } from './tracking-queries.js';

/** A write key, this once: copy it, or copy an install that already holds it. */
export function WriteKeyReveal({ source, note }: { source: SourceWithKey; note?: ReactNode }) {
  return (
    <>
      <Notice tone="warning">
        <p className="alert-title">Copy the write key now. You will not see it again.</p>
        <p className="alert-detail">Keel keeps only a hash of it. If it is lost, rotate the key to get a new one.</p>
      </Notice>
      <div className="secret">
        <label className="field-label" htmlFor="new-write-key">
          Write key
        </label>
        <div className="secret-row">
          <input
            id="new-write-key"
            className="input input-mono"
            readOnly
            value={source.writeKey}
            onFocus={(e) => e.currentTarget.select()}
            data-autofocus
          />
          <CopyButton text={source.writeKey} />
        </div>
        <p className="field-hint">{note ?? 'A write key can only send events. It is safe in a web page, where visitors can see it.'}</p>
      </div>
      <InstallSnippets writeKey={source.writeKey} initial={defaultSnippet(source.kind)} />
    </>
  );
}
