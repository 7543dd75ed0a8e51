import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { api } from '../../lib/api.js';
import { problemFieldErrors, useFormState, validate } from '../../lib/form.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { SelectField, TextField } from '../../ui/Field.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { OptionCards } from './OptionCards.js';
import { kindLabels, kindOptions, retentionChoices, retentionLabel } from './source-kinds.js';
import { createSourceSchema, sourcesQuery, sourceWithKeySchema, type SourceKind, type SourceWithKey } from './tracking-queries.js';
import { WriteKeyReveal } from './WriteKeyReveal.js';

/** Two steps in one dialog: what the source is, then its write key and install snippets, shown this once. */
export function AddSourceDialog({ initialKind = 'website', onClose }: { initialKind?: SourceKind; onClose: () => void }) {
  const qc = useQueryClient();
  const { values, set, errors, setErrors } = useFormState<{ name: string; kind: SourceKind; retention: string }>({
    name: '',
    kind: initialKind,
    retention: '',
  });
  const [created, setCreated] = useState<SourceWithKey | null>(null);

  const create = useMutation({
    mutationFn: (input: unknown) => api.post('/sources', sourceWithKeySchema, input),
    onSuccess: async (source) => {
      setCreated(source);
      await qc.invalidateQueries({ queryKey: sourcesQuery.queryKey });
    },
    onError: (err) => setErrors(problemFieldErrors(err)),
  });

  if (created) {
    return (
      <Dialog
        title="Source created"
        description={`${created.name} · ${kindLabels[created.kind]} · ${retentionLabel(created.retentionDays).toLowerCase()}`}
        size="lg"
        onClose={onClose}
        footer={
          <>
            <Link to="/events" search={{ sourceId: created.id }} className="btn btn-secondary">
              Watch its events
            </Link>
            <Button variant="primary" onClick={onClose}>
              I have copied the key
            </Button>
          </>
        }
      >
        <WriteKeyReveal source={created} />
      </Dialog>
    );
  }

  const submit = () => {
    const retentionDays = values.retention ? Number(values.retention) : null;
    const input = validate(createSourceSchema, { name: values.name, kind: values.kind, retentionDays }, setErrors);
    if (input) create.mutate(input);
  };

  return (
    <Dialog
      title="Add a source"
      description="A source is one place events come from. Give each site, backend and app its own, so each can be watched and rotated alone."
      size="lg"
      busy={create.isPending}
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose} disabled={create.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={create.isPending}>
            Create source
          </Button>
        </>
      }
    >
      {create.error && Object.keys(problemFieldErrors(create.error)).length === 0 && <ProblemAlert error={create.error} />}
      <TextField
        label="Name"
        value={values.name}
        onChange={set('name')}
        error={errors.name}
        placeholder="Marketing website"
        hint="What sends the events, as your team calls it."
        maxLength={100}
      />
      <OptionCards legend="Kind" options={kindOptions} value={values.kind} onChange={set('kind')} columns="two" />
      <SelectField
        label="Keep events"
        value={values.retention}
        onChange={set('retention')}
        options={retentionChoices}
        error={errors.retentionDays}
        hint="Older events are deleted every night. Contacts, their identities and touchpoints stay."
        fieldClassName="field-retention"
      />
    </Dialog>
  );
}
