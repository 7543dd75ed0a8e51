import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState, type ReactNode } from 'react';
import { api, ApiError } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { useDocumentTitle } from '../../ui/PageHeader.js';
import { LoadingState } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { ContactTabs } from '../contacts/ContactTabs.js';
import { FieldFacts } from './FieldFacts.js';
import { FieldValue } from './FieldValue.js';
import { valueOf, type FieldCatalog } from './fields.js';
import type { CrmRecord, RecordKind } from './record-kinds.js';
import { recordQuery, useFieldCatalog } from './record-queries.js';
import { groupFields, RecordFormDialog } from './RecordFormDialog.js';
import { RecordTimeline } from './RecordTimeline.js';
import './records.css';

function initials(name: string): string {
  const parts = name.split(/[\s@._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '') + (parts[1]?.[0] ?? '')).toUpperCase() || '?';
}

export interface RecordPageProps {
  kind: RecordKind;
  id: string;
  /** A line under the name (a contact's job title and account). */
  headline?: (record: CrmRecord) => ReactNode;
  /** Cards after the fields (an account's contacts). */
  aside?: (record: CrmRecord, catalog: FieldCatalog) => ReactNode;
}

type Pending = 'edit' | 'delete' | null;

/** A contact's or an account's page: its fields in groups, its timeline, edit, delete and restore. */
export function RecordPage({ kind, id, headline, aside }: RecordPageProps) {
  const can = useCan();
  const qc = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const rec = useQuery(recordQuery(kind, id));
  const { catalog } = useFieldCatalog(kind);
  const [pending, setPending] = useState<Pending>(null);
  const record = rec.data;
  useDocumentTitle(record ? kind.displayName(record) : kind.Noun);

  const remove = useMutation({
    mutationFn: () => api.delete(`/${kind.plural}/${id}`),
    onSuccess: async () => {
      const name = record ? kind.displayName(record) : `The ${kind.noun}`;
      await qc.invalidateQueries({ queryKey: [kind.plural] });
      toast(`${name} was moved to the trash`);
      await navigate({ to: kind.listPath });
    },
  });
  const restore = useMutation({
    mutationFn: () => api.post(`/${kind.plural}/${id}/restore`, kind.schema),
    onSuccess: async (r) => {
      qc.setQueryData(recordQuery(kind, id).queryKey, r);
      await qc.invalidateQueries({ queryKey: [kind.plural] });
      toast(`${kind.displayName(r)} was restored`);
    },
  });

  const back = (
    <nav className="breadcrumb" aria-label="Breadcrumb">
      <Link to={kind.listPath} search={{}}>
        {kind.title}
      </Link>
      <Icon name="chevronRight" size={14} />
      <span aria-current="page">{record ? kind.displayName(record) : '…'}</span>
    </nav>
  );

  if (rec.isPending) {
    return (
      <div className="page page-wide">
        {back}
        <LoadingState label={`Loading ${kind.noun}…`} />
      </div>
    );
  }
  if (rec.isError || !record) {
    const missing = rec.error instanceof ApiError && (rec.error.status === 404 || rec.error.status === 400);
    return (
      <div className="page page-narrow">
        {missing ? (
          <EmptyState
            icon="search"
            title={`This ${kind.noun} does not exist`}
            action={
              <Link to={kind.listPath} search={{}} className="btn btn-secondary">
                Back to {kind.title.toLowerCase()}
              </Link>
            }
          >
            It may have been deleted for good, or the link is mistyped.
          </EmptyState>
        ) : (
          <ErrorState error={rec.error} onRetry={() => void rec.refetch()} />
        )}
      </div>
    );
  }

  const name = kind.displayName(record);
  const deleted = Boolean(record.deletedAt);
  const groups = groupFields(kind, catalog, { withSystem: true });
  const externalIds = Object.entries(record.externalIds);

  return (
    <div className="page page-wide record-page">
      {back}
      <header className="record-header">
        <span className={`record-avatar record-avatar-${kind.object}`} aria-hidden="true">
          {kind.object === 'account' ? <Icon name="building" size={22} /> : initials(name)}
        </span>
        <div className="record-header-text">
          <h1 className="page-title record-title">
            {name}
            {deleted && (
              <Badge tone="danger" dot>
                In the trash
              </Badge>
            )}
          </h1>
          <p className="record-headline">{headline ? headline(record) : kind.subtitle(record)}</p>
        </div>
        <div className="page-actions record-actions">
          {deleted ? (
            can(`${kind.plural}.delete`) && (
              <Button variant="primary" icon="refresh" busy={restore.isPending} onClick={() => restore.mutate()}>
                Restore
              </Button>
            )
          ) : (
            <>
              {can(`${kind.plural}.write`) && (
                <Button variant="primary" icon="edit" onClick={() => setPending('edit')}>
                  Edit
                </Button>
              )}
              {can(`${kind.plural}.delete`) && (
                <Button variant="danger-ghost" icon="trash" onClick={() => setPending('delete')}>
                  Delete
                </Button>
              )}
            </>
          )}
        </div>
      </header>

      {deleted && (
        <div className="trash-banner" role="status">
          <Icon name="trash" size={16} />
          <span>
            Moved to the trash {formatRelative(record.deletedAt).toLowerCase()} ({formatDateTime(record.deletedAt)}). Restore it to edit it
            again.
          </span>
        </div>
      )}
      {restore.error && <ErrorState error={restore.error} />}

      <div className="record-layout">
        <div className="record-fields-col">
          {groups.map((g) => (
            <section key={g.title} className="card record-section" aria-label={g.title}>
              <h2 className="record-section-title">{g.title}</h2>
              <dl className="record-fields">
                {g.fields.map((f) => (
                  <div key={f.key} className="record-field">
                    <dt>{f.label}</dt>
                    <dd>
                      <FieldValue field={f} value={valueOf(record, f.key)} />
                      <FieldFacts record={record} fieldKey={f.key} />
                    </dd>
                  </div>
                ))}
              </dl>
            </section>
          ))}
          <section className="card record-section" aria-label="External ids">
            <h2 className="record-section-title">External ids</h2>
            {externalIds.length ? (
              <dl className="record-fields">
                {externalIds.map(([k, v]) => (
                  <div key={k} className="record-field">
                    <dt>
                      <code>{k}</code>
                    </dt>
                    <dd className="mono">{v}</dd>
                  </div>
                ))}
              </dl>
            ) : (
              <p className="muted record-section-empty">No ids from other systems (such as a CRM’s crm_id) yet.</p>
            )}
          </section>
        </div>
        <div className="record-main-col">
          {aside?.(record, catalog)}
          {kind.object === 'contact' ? (
            <ContactTabs contactId={id} timeline={<RecordTimeline kind={kind} id={id} catalog={catalog} />} />
          ) : (
            <RecordTimeline kind={kind} id={id} catalog={catalog} />
          )}
        </div>
      </div>

      {pending === 'edit' && <RecordFormDialog kind={kind} record={record} onClose={() => setPending(null)} />}
      {pending === 'delete' && (
        <ConfirmDialog
          title={`Delete ${name}?`}
          confirmLabel="Move to the trash"
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate()}
          onClose={() => setPending(null)}
        >
          <p>
            <strong>{name}</strong> moves to the trash: out of lists and segments, with its data and history kept. You can restore it from
            the trash.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
