import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import type { BulkActionInput, BulkOperation } from '../../../../src/modules/crm/records.schema.js';
import { api } from '../../lib/api.js';
import { useCan } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { SelectField } from '../../ui/Field.js';
import { Notice, ProblemAlert } from '../../ui/ProblemAlert.js';
import { ProgressBar } from '../../ui/ProgressBar.js';
import { FieldInput } from './FieldInput.js';
import type { FieldCatalog, FieldInfo } from './fields.js';
import { checkOne, editableFields, toDraft, type DraftValue } from './form-values.js';
import type { Filter } from './list-search.js';
import type { RecordKind } from './record-kinds.js';
import { bulkOperationSchema, userLabel, useUsers } from './record-queries.js';

const NO_OWNER = 'none';

export type BulkAction = 'assign_owner' | 'update' | 'delete' | 'restore';

/** Which records a bulk action covers: the ticked rows, or everything the list's search matches. */
export type BulkTarget = { ids: string[] } | { filter: Filter[]; q: string | undefined };

/** The bar over the table while rows are ticked. */
export function BulkBar({
  kind,
  count,
  allMatching,
  canSelectAll,
  trash,
  onSelectAll,
  onAction,
  onClear,
}: {
  kind: RecordKind;
  count: number;
  allMatching: boolean;
  canSelectAll: boolean;
  trash: boolean;
  onSelectAll: () => void;
  onAction: (a: BulkAction) => void;
  onClear: () => void;
}) {
  const can = useCan();
  const noun = count === 1 ? kind.noun : kind.title.toLowerCase();
  return (
    <div className="bulk-bar" role="region" aria-label="Bulk actions">
      <span className="bulk-count">{allMatching ? `All matching ${kind.title.toLowerCase()} selected` : `${count} ${noun} selected`}</span>
      {canSelectAll && !allMatching && (
        <Button size="sm" variant="ghost" onClick={onSelectAll}>
          Select all matching
        </Button>
      )}
      <span className="bulk-actions">
        {trash ? (
          can(`${kind.plural}.delete`) && (
            <Button size="sm" icon="refresh" onClick={() => onAction('restore')}>
              Restore
            </Button>
          )
        ) : (
          <>
            <Button size="sm" icon="user" onClick={() => onAction('assign_owner')}>
              Assign owner
            </Button>
            <Button size="sm" icon="edit" onClick={() => onAction('update')}>
              Update field
            </Button>
            {can(`${kind.plural}.delete`) && (
              <Button size="sm" variant="danger-ghost" icon="trash" onClick={() => onAction('delete')}>
                Delete
              </Button>
            )}
          </>
        )}
        <Button size="sm" variant="ghost" onClick={onClear}>
          Clear selection
        </Button>
      </span>
    </div>
  );
}

const verbs: Record<BulkAction, { title: string; ing: string; done: string; button: string }> = {
  assign_owner: { title: 'Assign owner', ing: 'Assigning', done: 'updated', button: 'Assign owner' },
  update: { title: 'Update a field', ing: 'Updating', done: 'updated', button: 'Update' },
  delete: { title: 'Move to the trash', ing: 'Deleting', done: 'moved to the trash', button: 'Delete' },
  restore: { title: 'Restore from the trash', ing: 'Restoring', done: 'restored', button: 'Restore' },
};

/**
 * Sets up a bulk action, starts it as a job and follows it to the end with a progress bar; the
 * list reloads when it is done. Closing while it runs leaves it running on the server.
 */
export function BulkDialog({
  kind,
  catalog,
  action,
  target: givenTarget,
  count: givenCount,
  onClose,
  onFinished,
}: {
  kind: RecordKind;
  catalog: FieldCatalog;
  action: BulkAction;
  target: BulkTarget;
  /** Ticked rows, or null for "all matching". */
  count: number | null;
  onClose: () => void;
  onFinished: () => void;
}) {
  const qc = useQueryClient();
  const id = useId();
  // What was ticked when the dialog opened: the ticks clear when the job ends, the dialog stays.
  const [{ target, count }] = useState({ target: givenTarget, count: givenCount });
  const fields = editableFields(catalog).filter((f) => f.key !== kind.def.naturalKey && f.key !== 'ownerId');
  // Nothing is chosen at first: removing every owner has to be picked on purpose.
  const [ownerId, setOwnerId] = useState('');
  const { users } = useUsers();
  const [fieldKey, setFieldKey] = useState(fields[0]?.key ?? '');
  const field: FieldInfo | undefined = catalog.get(fieldKey);
  const [value, setValue] = useState<DraftValue>(field ? toDraft(field, null) : '');
  const [error, setError] = useState<string | undefined>();
  const [opId, setOpId] = useState<string | null>(null);
  const v = verbs[action];
  const what =
    count === null ? `all matching ${kind.title.toLowerCase()}` : `${count} ${count === 1 ? kind.noun : kind.title.toLowerCase()}`;

  const start = useMutation({
    mutationFn: (input: BulkActionInput) => api.post(`/${kind.plural}/bulk`, bulkOperationSchema, input),
    onSuccess: (op) => setOpId(op.id),
  });

  const progress = useQuery({
    queryKey: ['bulk-operations', opId],
    queryFn: () => api.get(`/bulk-operations/${opId ?? ''}`, bulkOperationSchema),
    enabled: opId !== null,
    refetchInterval: (q) => (q.state.data && isFinished(q.state.data) ? false : 400),
    initialData: start.data,
  });
  const op = opId ? (progress.data ?? start.data) : undefined;
  const finished = op ? isFinished(op) : false;

  // Once, when the job ends: the list reloads and the ticks go.
  const finishedRef = useRef(onFinished);
  finishedRef.current = onFinished;
  useEffect(() => {
    if (!finished) return;
    void qc.invalidateQueries({ queryKey: [kind.plural] });
    finishedRef.current();
  }, [finished, qc, kind.plural]);

  const submit = () => {
    if (op) {
      onClose();
      return;
    }
    const base = 'ids' in target ? { ids: target.ids } : { filter: target.filter, q: target.q };
    if (action === 'assign_owner') {
      if (!ownerId) return setError('Choose an owner, or “No owner” to remove it');
      return start.mutate({ ...base, action, ownerId: ownerId === NO_OWNER ? null : ownerId });
    }
    if (action === 'update') {
      if (!field) return setError('Choose a field');
      const r = checkOne(kind, field, value);
      if ('error' in r) return setError(r.error);
      return start.mutate({ ...base, action, set: r.set });
    }
    start.mutate({ ...base, action });
  };

  const running = Boolean(op) && !finished;

  return (
    <Dialog
      title={`${v.title}: ${what}`}
      size="md"
      busy={start.isPending}
      onClose={onClose}
      onSubmit={submit}
      role={action === 'delete' && !op ? 'alertdialog' : 'dialog'}
      footer={
        op ? (
          <Button type="submit" variant={finished ? 'primary' : 'secondary'}>
            {finished ? 'Done' : 'Close'}
          </Button>
        ) : (
          <>
            <Button onClick={onClose} disabled={start.isPending}>
              Cancel
            </Button>
            <Button type="submit" variant={action === 'delete' ? 'danger' : 'primary'} busy={start.isPending}>
              {v.button} {what}
            </Button>
          </>
        )
      }
    >
      {op ? (
        <div className="bulk-progress" aria-live="polite">
          <ProgressBar
            value={op.done}
            max={op.total}
            label={`${v.ing} ${kind.title.toLowerCase()}`}
            tone={op.status === 'failed' ? 'danger' : 'accent'}
          />
          <p className="bulk-progress-text">
            {finished ? (
              <>
                {op.done.toLocaleString()} of {op.total.toLocaleString()} processed
              </>
            ) : (
              <>
                {v.ing} {op.done.toLocaleString()} of {op.total.toLocaleString()}…
              </>
            )}
          </p>
          {op.status === 'completed' && (
            <Notice tone="success">
              Done: {op.changed.toLocaleString()} {op.changed === 1 ? kind.noun : kind.title.toLowerCase()} {v.done}
              {op.changed < op.total && ` (${(op.total - op.changed).toLocaleString()} already up to date)`}.
            </Notice>
          )}
          {op.status === 'failed' && (
            <ProblemAlert error={new Error(op.failure ?? 'The job stopped. Records changed before it stopped keep their changes.')} />
          )}
          {running && <p className="field-hint">It keeps running on the server if you close this.</p>}
        </div>
      ) : (
        <>
          <ProblemAlert error={start.error} />
          {action === 'assign_owner' && (
            <SelectField
              label="New owner"
              value={ownerId}
              onChange={(v) => {
                setOwnerId(v);
                setError(undefined);
              }}
              error={error}
              options={[
                { value: '', label: 'Choose an owner' },
                ...users.filter((u) => !u.disabled).map((u) => ({ value: u.id, label: userLabel(u) })),
                { value: NO_OWNER, label: 'No owner (remove the owner)' },
              ]}
            />
          )}
          {action === 'update' && (
            <>
              <div className="field">
                <label className="field-label" htmlFor={`${id}-field`}>
                  Field
                </label>
                <select
                  id={`${id}-field`}
                  className="input select"
                  value={fieldKey}
                  onChange={(e) => {
                    const f = catalog.get(e.target.value);
                    setFieldKey(e.target.value);
                    setValue(f ? toDraft(f, null) : '');
                    setError(undefined);
                  }}
                >
                  {fields.map((f) => (
                    <option key={f.key} value={f.key}>
                      {f.label}
                    </option>
                  ))}
                </select>
              </div>
              {field && (
                <div className="bulk-value">
                  <FieldInput
                    key={field.key}
                    field={{ ...field, label: 'New value', required: false }}
                    value={value}
                    onChange={(x) => {
                      setValue(x);
                      setError(undefined);
                    }}
                    error={error}
                  />
                  <p className="field-hint">Leave it empty to clear {field.label} on every one of them.</p>
                </div>
              )}
            </>
          )}
          {action === 'delete' && (
            <p className="confirm-text">
              <strong>{what[0]?.toUpperCase() + what.slice(1)}</strong> move to the trash. They disappear from lists and segments, and can
              be restored from the trash.
            </p>
          )}
          {action === 'restore' && (
            <p className="confirm-text">
              <strong>{what[0]?.toUpperCase() + what.slice(1)}</strong> come back from the trash with their data and history.
            </p>
          )}
        </>
      )}
    </Dialog>
  );
}

function isFinished(op: BulkOperation): boolean {
  return op.status === 'completed' || op.status === 'failed';
}
