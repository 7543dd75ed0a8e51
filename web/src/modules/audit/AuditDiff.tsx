import type { AuditEntry } from '../../../../src/platform/audit/audit.schema.js';
import { formatDateTime } from '../../lib/format.js';
import { actorTypeLabels, entityLabel } from './audit-labels.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function Value({ value, side }: { value: unknown; side: 'from' | 'to' }) {
  const text = show(value);
  if (!text) return <span className="diff-empty">{value === '' ? '(empty)' : '—'}</span>;
  return <span className={`diff-value diff-${side}`}>{text}</span>;
}

/** The before/after of one audit entry: one row per changed field; secrets show only that they changed. */
export function AuditDiff({ entry }: { entry: AuditEntry }) {
  const { _meta: meta, ...fields } = entry.changes;
  const rows = Object.entries(fields);
  return (
    <div className="audit-detail">
      {rows.length > 0 ? (
        <table className="diff-table" aria-label="Changes">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([field, change]) => {
              const c = isRecord(change) ? change : { to: change };
              return (
                <tr key={field}>
                  <th scope="row">
                    <code>{field}</code>
                  </th>
                  {c.changed === true ? (
                    <td colSpan={2} className="diff-secret">
                      Changed (secret values are never recorded)
                    </td>
                  ) : (
                    <>
                      <td>{'from' in c ? <Value value={c.from} side="from" /> : <span className="diff-empty">—</span>}</td>
                      <td>{'to' in c ? <Value value={c.to} side="to" /> : <span className="diff-empty">—</span>}</td>
                    </>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <p className="muted">No field changes were recorded for this event.</p>
      )}
      <dl className="audit-meta">
        {isRecord(meta) &&
          Object.entries(meta).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{show(v) || '—'}</dd>
            </div>
          ))}
        <div>
          <dt>When</dt>
          <dd>{formatDateTime(entry.occurredAt, true)}</dd>
        </div>
        <div>
          <dt>Actor</dt>
          <dd>
            {entry.actorLabel} <span className="muted">({actorTypeLabels[entry.actorType] ?? entry.actorType})</span>
          </dd>
        </div>
        <div>
          <dt>{entityLabel(entry.entityType)} id</dt>
          <dd>
            <code>{entry.entityId ?? '—'}</code>
          </dd>
        </div>
        <div>
          <dt>IP address</dt>
          <dd>{entry.ip ?? '—'}</dd>
        </div>
        <div>
          <dt>Request id</dt>
          <dd>
            <code>{entry.requestId ?? '—'}</code>
          </dd>
        </div>
      </dl>
    </div>
  );
}
