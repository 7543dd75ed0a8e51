import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import type { FormEvent } from 'react';
import { setupInputSchema, setupResultSchema, type SetupInput } from '../../../../src/modules/workspaces/workspaces.schema.js';
import { api } from '../../lib/api.js';
import { problemFieldErrors, useFormState, validate, type FieldErrors } from '../../lib/form.js';
import { acceptSession } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { NewPasswordFields, passwordMismatch, TextField } from '../../ui/Field.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { AuthLayout } from './AuthLayout.js';

/** First run: no users yet. Creates the workspace and its first admin, then opens the app. */
export function SetupPage() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { values: form, set, errors, setErrors } = useFormState({ workspaceName: '', name: '', email: '', password: '', confirm: '' });

  const setup = useMutation({
    mutationFn: (input: SetupInput) => api.post('/setup', setupResultSchema, input),
    onSuccess: async (res) => {
      // The set-up answer carries no expiry; the session endpoint gives the full picture.
      acceptSession(qc, { ...res, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
      await qc.invalidateQueries({ queryKey: ['session'] });
      await navigate({ to: '/users' });
    },
    onError: (err) => setErrors(problemFieldErrors(err)),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { confirm, ...rest } = form;
    let fieldErrors: FieldErrors = {};
    const input = validate(setupInputSchema, rest, (errs) => (fieldErrors = errs));
    const mismatch = passwordMismatch(form.password, confirm);
    if (mismatch) fieldErrors = { ...fieldErrors, confirm: mismatch };
    setErrors(fieldErrors);
    if (input && !fieldErrors.confirm) setup.mutate(input);
  };

  return (
    <AuthLayout
      wide
      title="Set up Keel"
      subtitle="Name your workspace and create the first admin account. You can invite your team right after."
      footer="This screen is shown once, while the workspace has no users."
    >
      <form className="form" onSubmit={submit} noValidate>
        <ProblemAlert error={setup.error} />
        <fieldset className="fieldset">
          <legend className="fieldset-legend">Workspace</legend>
          <TextField
            label="Workspace name"
            value={form.workspaceName}
            onChange={set('workspaceName')}
            error={errors.workspaceName}
            placeholder="Acme Marketing"
            hint="Usually your company or team name. You can change it later."
            autoFocus
          />
        </fieldset>
        <fieldset className="fieldset">
          <legend className="fieldset-legend">Your admin account</legend>
          <div className="form-row">
            <TextField label="Your name" autoComplete="name" value={form.name} onChange={set('name')} error={errors.name} />
            <TextField label="Email" type="email" autoComplete="username" value={form.email} onChange={set('email')} error={errors.email} />
          </div>
          <NewPasswordFields
            label="Password"
            password={form.password}
            confirm={form.confirm}
            onPassword={set('password')}
            onConfirm={set('confirm')}
            passwordError={errors.password}
            confirmError={errors.confirm}
          />
        </fieldset>
        <Button type="submit" variant="primary" className="btn-block" busy={setup.isPending}>
          Create workspace
        </Button>
      </form>
    </AuthLayout>
  );
}
