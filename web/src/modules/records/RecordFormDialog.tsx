import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useRef, useState } from 'react';
import type { RecordInput } from '../../../../src/modules/crm/records.schema.js';
import { api, ApiError } from '../../lib/api.js';
import type { FieldErrors } from '../../lib/form.js';
import { useSession } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { Notice, ProblemAlert } from '../../ui/ProblemAlert.js';
import { LoadingState } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { FieldInput } from './FieldInput.js';
import type { FieldCatalog, FieldInfo } from './fields.js';
import { checkDraft, draftOf, serverFieldErrors, type Draft, type DraftValue } from './form-values.js';
import type { CrmRecord, RecordKind } from './record-kinds.js';
import { recordQuery, useFieldCatalog } from './record-queries.js';

export interface RecordFormDialogProps {
  kind: RecordKind;
  /** The record to edit; absent to create one. */
  record?: CrmRecord;
  /** Starting values for a new record (e.g. the account it belongs to). */
  initial?: Record<string, unknown>;
  onClose: () => void;
  onSaved?: (record: CrmRecord) => void;
}

/** Create or edit a contact or an account: every core and custom field, checked as you type. */
export function RecordFormDialog(props: RecordFormDialogProps) {
  const { kind, record, onClose } = props;
  const { catalog, isPending, error } = useFieldCatalog(kind);
  const title = record ? `Edit ${kind.displayName(record)}` : `New ${kind.noun}`;
  if (isPending || error) {
    return (
      <Dialog title={title} size="lg" onClose={onClose}>
        {error ? <ErrorState error={error} /> : <LoadingState label="Loading fields…" />}
      </Dialog>
    );
  }
  return <RecordForm {...props} catalog={catalog} title={title} />;
}

/** The groups of the form, from the object's groups; `custom` expands to the custom fields. */
export function groupFields(kind: RecordKind, catalog: FieldCatalog, opts: { withSystem: boolean }) {
  return kind.groups
    .map((g) => ({
      title: g.title,
      fields: g.keys.flatMap((k): FieldInfo[] => {
        if (k === 'custom') return catalog.custom;
        if (k === 'system') return opts.withSystem ? catalog.system : [];
        const f = catalog.get(k);
        return f ? [f] : [];
      }),
    }))
    .filter((g) => g.fields.length > 0);
}

function RecordForm({
  kind,
  record,
  initial,
  onClose,
  onSaved,
  catalog,
  title,
}: RecordFormDialogProps & { catalog: FieldCatalog; title: string }) {
  const qc = useQueryClient();
  const toast = useToast();
  const { user } = useSession();
  const [base, setBase] = useState<CrmRecord | null>(record ?? null);
  const baseDraft = useMemo(() => (base ? draftOf(catalog, base) : null), [catalog, base]);
  // New records belong to whoever creates them unless they pick someone else.
  const [draft, setDraft] = useState<Draft>(() => draftOf(catalog, record ?? null, { ownerId: user.id, ...initial }));
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [reloading, setReloading] = useState(false);
  const bodyRef = useRef<HTMLDivElement>(null);

  const checked = useMemo(() => checkDraft(kind, catalog, draft, baseDraft), [kind, catalog, draft, baseDraft]);
  const errorFor = (key: string) => serverErrors[key] ?? (submitted || touched.has(key) ? checked.errors[key] : undefined);

  const save = useMutation({
    mutationFn: (payload: RecordInput) =>
      base
        ? api.patch(`/${kind.plural}/${base.id}`, kind.schema, payload, { 'if-match': `"${base.version}"` })
        : api.post(`/${kind.plural}`, kind.schema, payload),
    onSuccess: async (saved) => {
      qc.setQueryData(recordQuery(kind, saved.id).queryKey, saved);
      await qc.invalidateQueries({ queryKey: [kind.plural], predicate: (q) => q.queryKey[1] !== 'record' || q.queryKey[2] !== saved.id });
      toast(base ? `${kind.displayName(saved)} was saved` : `${kind.Noun} ${kind.displayName(saved)} was added`);
      onSaved?.(saved);
      onClose();
    },
    onError: (err) => setServerErrors(serverFieldErrors(err, kind)),
  });

  const conflict = save.error instanceof ApiError && save.error.code === 'precondition_failed';
  const fieldProblem = Object.values(serverErrors).some(Boolean);

  const set = (key: string) => (v: DraftValue) => {
    setDraft((d) => ({ ...d, [key]: v }));
    setServerErrors((e) => (e[key] ? { ...e, [key]: undefined } : e));
  };
  const blur = (key: string) => () => setTouched((t) => (t.has(key) ? t : new Set(t).add(key)));

  const submit = () => {
    setSubmitted(true);
    if (Object.values(checked.errors).some(Boolean)) {
      // Take the person to the first thing to fix.
      setTimeout(() => bodyRef.current?.closest('form')?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
      return;
    }
    if (base && checked.changed.length === 0) {
      onClose();
      return;
    }
    save.mutate(checked.payload);
  };

  /** After a 412: load the latest version and keep this person's own edits on top of it. */
  const reload = async () => {
    if (!base || !baseDraft) return;
    setReloading(true);
    try {
      const latest = await qc.fetchQuery({ ...recordQuery(kind, base.id), staleTime: 0 });
      const mine = Object.fromEntries(Object.entries(draft).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(baseDraft[k])));
      setBase(latest);
      setDraft({ ...draftOf(catalog, latest), ...mine });
      save.reset();
    } finally {
      setReloading(false);
    }
  };

  const groups = groupFields(kind, catalog, { withSystem: false });

  return (
    <Dialog
      title={title}
      description={base ? undefined : 'Fields marked * are required. Everything else can be filled in later.'}
      size="lg"
      busy={save.isPending}
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending} disabled={conflict}>
            {base ? 'Save changes' : `Create ${kind.noun}`}
          </Button>
        </>
      }
    >
      <div className="record-form" ref={bodyRef}>
        {conflict ? (
          <Notice tone="warning">
            <p className="alert-title">Someone else changed this {kind.noun} while you were editing</p>
            <p className="alert-detail">Load their version to continue: your own edits here are kept on top of it.</p>
            <div className="alert-actions">
              <Button size="sm" icon="refresh" busy={reloading} onClick={() => void reload()}>
                Load the latest version
              </Button>
            </div>
          </Notice>
        ) : (
          save.error && !fieldProblem && <ProblemAlert error={save.error} />
        )}
        {groups.map((g) => (
          <fieldset key={g.title} className="fieldset form-section">
            <legend className="fieldset-legend">{g.title}</legend>
            <div className="form-grid">
              {g.fields.map((f) => (
                <div key={f.key} className={f.kind === 'multiselect' ? 'form-grid-wide' : undefined}>
                  <FieldInput field={f} value={draft[f.key] ?? ''} onChange={set(f.key)} onBlur={blur(f.key)} error={errorFor(f.key)} />
                </div>
              ))}
            </div>
          </fieldset>
        ))}
      </div>
    </Dialog>
  );
}
