import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { z } from 'zod';
import { createApiKeySchema, createdApiKeySchema, type CreateApiKeyInput } from '../../../../src/modules/api-keys/api-keys.schema.js';
import { api } from '../../lib/api.js';
import { problemFieldErrors, useFormState, validate } from '../../lib/form.js';
import { roleLabel, type Role } from '../../lib/roles.js';
import { Button } from '../../ui/Button.js';
import { CopyButton } from '../../ui/CopyButton.js';
import { Dialog } from '../../ui/Dialog.js';
import { TextField } from '../../ui/Field.js';
import { Notice, ProblemAlert } from '../../ui/ProblemAlert.js';
import { RolePicker } from '../users/RolePicker.js';

const initial = { name: '', role: '' as const };

type CreatedKey = z.infer<typeof createdApiKeySchema>;

/** Two steps in one dialog: name and role, then the secret, shown this once. */
export function CreateApiKeyDialog({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const { values, set, errors, setErrors } = useFormState<{ name: string; role: Role | '' }>(initial);
  const { name, role } = values;
  const [created, setCreated] = useState<CreatedKey | null>(null);

  const create = useMutation({
    mutationFn: (input: CreateApiKeyInput) => api.post('/api-keys', createdApiKeySchema, input),
    onSuccess: async (key) => {
      setCreated(key);
      await qc.invalidateQueries({ queryKey: ['api-keys'] });
    },
    onError: (err) => setErrors(problemFieldErrors(err)),
  });

  if (created) {
    return (
      <Dialog
        title="API key created"
        description={`${created.name} · ${roleLabel(created.role)}`}
        size="lg"
        onClose={onClose}
        footer={
          <Button variant="primary" onClick={onClose}>
            I have copied the key
          </Button>
        }
      >
        <Notice tone="warning">
          <p className="alert-title">Copy this key now. You will not see it again.</p>
          <p className="alert-detail">Keel keeps only a hash of it. If it is lost, revoke it and create a new one.</p>
        </Notice>
        <div className="secret">
          <label className="field-label" htmlFor="new-api-key">
            Secret key
          </label>
          <div className="secret-row">
            <input
              id="new-api-key"
              className="input input-mono"
              readOnly
              value={created.key}
              onFocus={(e) => e.currentTarget.select()}
              data-autofocus
            />
            <CopyButton text={created.key} />
          </div>
          <p className="field-hint">
            Send it as <code>Authorization: Bearer &lt;key&gt;</code>. It acts with the permissions of the {roleLabel(created.role)} role.
          </p>
        </div>
      </Dialog>
    );
  }

  const submit = () => {
    const input = validate(createApiKeySchema, { name, role: role || undefined }, (errs) =>
      setErrors({ ...errs, ...(errs.role && { role: 'Choose a role' }) }),
    );
    if (input) create.mutate(input);
  };

  return (
    <Dialog
      title="New API key"
      description="For a script or an integration. Give it the least powerful role that does the job."
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
            Create key
          </Button>
        </>
      }
    >
      {create.error && Object.keys(problemFieldErrors(create.error)).length === 0 && <ProblemAlert error={create.error} />}
      <TextField
        label="Name"
        value={name}
        onChange={set('name')}
        error={errors.name}
        placeholder="Nightly CRM sync"
        hint="Say what uses it, so it can be found and revoked later."
      />
      <RolePicker legend="Acts as role" value={role} onChange={set('role')} error={errors.role} />
    </Dialog>
  );
}
