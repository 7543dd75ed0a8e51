import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useState } from 'react';
import { objectDefs } from '../../../../src/modules/crm/crm-objects.js';
import { customFieldSchema, type CustomField } from '../../../../src/modules/crm/custom-fields.schema.js';
import { fieldTypeLabels } from '../../../../src/modules/crm/field-types.js';
import { api } from '../../lib/api.js';
import { formatDate, formatDateTime } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { CustomFieldDialog } from './CustomFieldDialog.js';
import { customFieldsQuery, objectTabs, refreshFieldReaders } from './custom-fields-queries.js';
import './custom-fields.css';

const route = getRouteApi('/_app/settings/fields');
const RESTORE_DAYS = 30;

type Pending = { kind: 'create' } | { kind: 'edit'; field: CustomField } | { kind: 'delete'; field: CustomField } | null;

function OptionChips({ options }: { options: readonly string[] }) {
  if (options.length === 0) return <span className="muted">—</span>;
  const shown = options.slice(0, 4);
  return (
    <span className="cf-chips">
      {shown.map((o) => (
        <span key={o} className="cf-chip">
          {o}
        </span>
      ))}
      {options.length > shown.length && <span className="muted">+{options.length - shown.length} more</span>}
    </span>
  );
}

function YesNo({ value }: { value: boolean }) {
  return value ? (
    <span className="cf-yes">
      <Icon name="check" size={16} />
      <span className="sr-only">Yes</span>
    </span>
  ) : (
    <span className="muted">
      <span aria-hidden="true">—</span>
      <span className="sr-only">No</span>
    </span>
  );
}

export function CustomFieldsPage() {
  const object = route.useSearch().object ?? 'contact';
  const can = useCan();
  const canManage = can('custom_fields.manage');
  const tab = objectTabs.find((t) => t.object === object) ?? objectTabs[0];
  const noun = tab?.noun ?? 'record';
  const live = useQuery(customFieldsQuery(object, 'exclude'));
  const deleted = useQuery(customFieldsQuery(object, 'only'));
  const [pending, setPending] = useState<Pending>(null);
  const builtIn = objectDefs[object].fields.filter((f) => !f.ref);
  const cols = canManage ? 7 : 6;

  const newButton = canManage && (
    <Button variant="primary" icon="plus" onClick={() => setPending({ kind: 'create' })}>
      New field
    </Button>
  );

  return (
    <div className="page">
      <PageHeader
        title="Fields"
        description="What Keel records about contacts and accounts beyond the built-in fields. Lists, filters, imports, exports and the API all use them."
        actions={newButton}
      />
      <nav className="tabs" aria-label="Record type">
        {objectTabs.map((t) => (
          <Link
            key={t.object}
            to="/settings/fields"
            search={{ object: t.object }}
            className={`tab${t.object === object ? ' active' : ''}`}
            aria-current={t.object === object ? 'page' : undefined}
          >
            {t.label}
          </Link>
        ))}
      </nav>

      {live.isError ? (
        <ErrorState error={live.error} onRetry={() => void live.refetch()} />
      ) : live.data?.length === 0 ? (
        <EmptyState
          icon="filter"
          title={`No custom ${noun} fields yet`}
          action={
            canManage ? (
              <Button variant="primary" icon="plus" onClick={() => setPending({ kind: 'create' })}>
                Add the first field
              </Button>
            ) : undefined
          }
        >
          {canManage
            ? `Track what matters to your team on every ${noun}: a customer tier, a renewal date, a lead score. Fields can be renamed at any time without losing data.`
            : `Managers and admins can add fields here; they then appear on every ${noun}.`}
        </EmptyState>
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table className="table" aria-label={`Custom ${noun} fields`} aria-busy={live.isPending || undefined}>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col" className="hide-sm">
                    Key
                  </th>
                  <th scope="col" className="hide-sm">
                    Type
                  </th>
                  <th scope="col" className="hide-sm cf-col-options">
                    Options
                  </th>
                  <th scope="col" className="cf-col-flag">
                    Required
                  </th>
                  <th scope="col" className="cf-col-flag hide-sm">
                    Indexed
                  </th>
                  {canManage && (
                    <th scope="col" className="col-actions">
                      <span className="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {live.isPending ? (
                  <SkeletonRows rows={3} cols={cols} />
                ) : (
                  live.data?.map((f) => (
                    <tr key={f.id} data-field-key={f.key}>
                      <td className="cell-name">
                        <div className="cell-primary">{f.label}</div>
                        {f.description && <div className="cell-secondary cf-description">{f.description}</div>}
                        <div className="cell-secondary show-sm">
                          {fieldTypeLabels[f.type]} · <code>{f.key}</code>
                        </div>
                      </td>
                      <td className="hide-sm">
                        <code className="code-pill">{f.key}</code>
                      </td>
                      <td className="nowrap hide-sm">
                        {fieldTypeLabels[f.type]}
                        {f.currency && <span className="code-pill cf-currency-pill">{f.currency}</span>}
                      </td>
                      <td className="hide-sm">
                        <OptionChips options={f.options} />
                      </td>
                      <td className="cf-col-flag">
                        <YesNo value={f.required} />
                      </td>
                      <td className="cf-col-flag hide-sm">
                        <YesNo value={f.indexed} />
                      </td>
                      {canManage && (
                        <td className="col-actions">
                          <div className="row-actions">
                            <Button
                              size="sm"
                              variant="ghost"
                              onClick={() => setPending({ kind: 'edit', field: f })}
                              aria-label={`Edit ${f.label}`}
                            >
                              Edit
                            </Button>
                            <Button
                              size="sm"
                              variant="danger-ghost"
                              onClick={() => setPending({ kind: 'delete', field: f })}
                              aria-label={`Delete ${f.label}`}
                            >
                              Delete
                            </Button>
                          </div>
                        </td>
                      )}
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
        </div>
      )}

      <p className="cf-builtin">
        <span className="cf-builtin-title">Built in on every {noun}:</span> {builtIn.map((f) => f.label).join(', ')}.
      </p>

      {deleted.isError ? (
        <ErrorState error={deleted.error} onRetry={() => void deleted.refetch()} />
      ) : deleted.data && deleted.data.length > 0 ? (
        <DeletedFields fields={deleted.data} canManage={canManage} />
      ) : null}

      {pending?.kind === 'create' && <CustomFieldDialog object={object} noun={noun} onClose={() => setPending(null)} />}
      {pending?.kind === 'edit' && <CustomFieldDialog object={object} noun={noun} field={pending.field} onClose={() => setPending(null)} />}
      {pending?.kind === 'delete' && <DeleteFieldDialog field={pending.field} noun={noun} onClose={() => setPending(null)} />}
    </div>
  );
}

function DeletedFields({ fields, canManage }: { fields: CustomField[]; canManage: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const restore = useMutation({
    mutationFn: (f: CustomField) => api.post(`/custom-fields/${f.id}/restore`, customFieldSchema),
    onSuccess: async (f) => {
      await refreshFieldReaders(qc);
      toast(`${f.label} is back, with all its values`);
    },
  });
  return (
    <section className="cf-deleted" aria-labelledby="cf-deleted-title">
      <h2 className="section-title" id="cf-deleted-title">
        Deleted fields
      </h2>
      <p className="section-description">
        Restore a field within {RESTORE_DAYS} days of deleting it to bring it back with every value. After that it is removed for good.
      </p>
      {restore.error && (
        <div className="cf-deleted-error">
          <ErrorState error={restore.error} />
        </div>
      )}
      <div className="card table-card">
        <div className="table-scroll">
          <table className="table" aria-label="Deleted fields">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col" className="hide-sm">
                  Type
                </th>
                <th scope="col">Deleted</th>
                <th scope="col">Removed for good</th>
                {canManage && (
                  <th scope="col" className="col-actions">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {fields.map((f) => (
                <tr key={f.id} className="row-muted" data-field-key={f.key}>
                  <td className="cell-name">
                    <div className="cell-primary cell-plain">{f.label}</div>
                    <div className="cell-secondary">
                      <code>{f.key}</code>
                    </div>
                  </td>
                  <td className="hide-sm">{fieldTypeLabels[f.type]}</td>
                  <td className="nowrap" title={formatDateTime(f.deletedAt)}>
                    {formatDate(f.deletedAt)}
                  </td>
                  <td className="nowrap">
                    <Badge tone="warning">{formatDate(f.purgeAfter)}</Badge>
                  </td>
                  {canManage && (
                    <td className="col-actions">
                      <Button
                        size="sm"
                        icon="refresh"
                        onClick={() => restore.mutate(f)}
                        busy={restore.isPending && restore.variables.id === f.id}
                        aria-label={`Restore ${f.label}`}
                      >
                        Restore
                      </Button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}

function DeleteFieldDialog({ field, noun, onClose }: { field: CustomField; noun: string; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const until = new Date(Date.now() + RESTORE_DAYS * 86_400_000).toISOString();
  const remove = useMutation({
    mutationFn: () => api.delete(`/custom-fields/${field.id}`),
    onSuccess: async () => {
      await refreshFieldReaders(qc);
      toast(`${field.label} was deleted. You can restore it until ${formatDate(until)}.`);
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Delete ${field.label}?`}
      confirmLabel="Delete field"
      busy={remove.isPending}
      error={remove.error}
      onConfirm={() => remove.mutate()}
      onClose={onClose}
    >
      <p>
        <strong>{field.label}</strong> disappears from every {noun}, from lists and filters, and from imports and exports.
      </p>
      <p className="cf-restore-note">
        <Icon name="info" size={16} />
        <span>
          Its values are kept for {RESTORE_DAYS} days: restore it before <strong>{formatDate(until)}</strong> and everything comes back as
          it was. After that the field and its values are removed for good.
        </span>
      </p>
    </ConfirmDialog>
  );
}
