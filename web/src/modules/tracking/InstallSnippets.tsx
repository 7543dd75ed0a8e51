import { useId, useState, type KeyboardEvent } from 'react';
import { CodeBlock } from './CodeBlock.js';
import { installSnippets, type SnippetId } from './install-snippets.js';

/** Tabs with a ready-to-paste install per platform (ARIA tabs: arrows move between them). */
export function InstallSnippets({ writeKey, initial }: { writeKey: string; initial: SnippetId }) {
  const snippets = installSnippets(writeKey, window.location.origin);
  const [active, setActive] = useState<SnippetId>(initial);
  const base = useId();
  const current = snippets.find((s) => s.id === active) ?? snippets[0];
  if (!current) return null;

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    e.preventDefault();
    const i = snippets.findIndex((s) => s.id === active);
    const next = snippets[(i + (e.key === 'ArrowRight' ? 1 : snippets.length - 1)) % snippets.length];
    if (!next) return;
    setActive(next.id);
    document.getElementById(`${base}-tab-${next.id}`)?.focus();
  };

  return (
    <section className="install" aria-label="Install">
      <h3 className="install-title">Install</h3>
      <div className="segmented" role="tablist" aria-label="Platform" onKeyDown={onKeyDown}>
        {snippets.map((s) => (
          <button
            key={s.id}
            type="button"
            role="tab"
            id={`${base}-tab-${s.id}`}
            aria-selected={s.id === active}
            aria-controls={`${base}-panel`}
            tabIndex={s.id === active ? 0 : -1}
            className={`segmented-item${s.id === active ? ' active' : ''}`}
            onClick={() => setActive(s.id)}
          >
            {s.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${base}-panel`} aria-labelledby={`${base}-tab-${current.id}`} className="install-panel">
        <p className="field-hint">{current.hint}</p>
        <CodeBlock code={current.code} label={`${current.label} install`} copyLabel="Copy snippet" />
      </div>
    </section>
  );
}
