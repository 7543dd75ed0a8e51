import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { z } from 'zod';
import { changePasswordSchema, sessionListItemSchema, updateProfileSchema } from '../../../../src/modules/auth/auth.schema.js';
import { userSchema } from '../../../../src/modules/users/users.schema.js';
import { updateWorkspaceSchema, workspaceSchema } from '../../../../src/modules/workspaces/workspaces.schema.js';
import { api, ApiError } from '../../lib/api.js';
import { describeUserAgent, formatDate, formatRelative } from '../../lib/format.js';
import { problemFieldErrors, useFormState, validate, type FieldErrors } from '../../lib/form.js';
import { roleLabel } from '../../lib/roles.js';
import { sessionQuery, useCan, useSession, type SessionInfo } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { NewPasswordFields, passwordMismatch, TextField } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { LoadingState } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';

const sessionsSchema = z.object({ data: z.array(sessionListItemSchema) });

function Section({ title, description, children, id }: { title: string; description?: ReactNode; children: ReactNode; id: string }) {
  return (
    <section className="settings-section" aria-labelledby={id}>
      <div className="settings-section-text">
        <h2 className="section-title" id={id}>
          {title}
        </h2>
        {description && <p className="section-description">{description}</p>}
      </div>
      <div className="card settings-card">{children}</div>
    </section>
  );
}

export function AccountPage() {
  const can = useCan();
  return (
    <div className="page">
      <PageHeader title="Settings" description="Your account, your sign-ins, and the workspace." />
      <ProfileSection />
      <PasswordSection />
      <SessionsSection />
      {can('workspace.update') && <WorkspaceSection />}
    </div>
  );
}

interface NameFormProps<T> {
  label: string;
  autoComplete?: string;
  current: string;
  schema: z.ZodType<{ name: string }>;
  save: (input: { name: string }) => Promise<T>;
  onSaved: (saved: T) => void;
  submitLabel: string;
  children: ReactNode;
}

/** One name, validated with the shared schema, saved on submit: the profile and workspace forms. */
function NameForm<T>({ label, autoComplete, current, schema, save: saveFn, onSaved, submitLabel, children }: NameFormProps<T>) {
  const [name, setName] = useState(current);
  const [errors, setErrors] = useState<FieldErrors>({});
  const save = useMutation({ mutationFn: saveFn, onSuccess: onSaved, onError: (err) => setErrors(problemFieldErrors(err)) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = validate(schema, { name }, setErrors);
    if (input) save.mutate(input);
  };
  return (
    <form className="form" onSubmit={submit} noValidate>
      <ProblemAlert error={save.error instanceof ApiError && save.error.code === 'validation_failed' ? null : save.error} />
      <TextField
        label={label}
        autoComplete={autoComplete}
        value={name}
        onChange={(v) => {
          setName(v);
          setErrors({});
        }}
        error={errors.name}
      />
      {children}
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={save.isPending} disabled={name.trim() === current}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}

function ProfileSection() {
  const { user } = useSession();
  const qc = useQueryClient();
  const toast = useToast();
  return (
    <Section id="profile-title" title="Profile" description="How you appear to others in this workspace and in the audit log.">
      <NameForm
        label="Display name"
        autoComplete="name"
        current={user.name}
        schema={updateProfileSchema}
        save={(input) => api.patch('/auth/profile', userSchema, input)}
        onSaved={(updated) => {
          qc.setQueryData(sessionQuery.queryKey, (s: SessionInfo | null | undefined) => (s ? { ...s, user: updated } : s));
          void qc.invalidateQueries({ queryKey: ['users'] });
          toast('Your name was saved');
        }}
        submitLabel="Save name"
      >
        <dl className="facts">
          <div>
            <dt>Email</dt>
            <dd>{user.email}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>{roleLabel(user.role)}</dd>
          </div>
        </dl>
      </NameForm>
    </Section>
  );
}

const emptyPasswords = { currentPassword: '', newPassword: '', confirm: '' };

function PasswordSection() {
  const qc = useQueryClient();
  const toast = useToast();
  const { values: form, set, errors, setErrors, reset } = useFormState(emptyPasswords);
  const change = useMutation({
    mutationFn: (input: z.infer<typeof changePasswordSchema>) => api.postNoContent('/auth/password', input),
    onSuccess: () => {
      reset();
      void qc.invalidateQueries({ queryKey: ['sessions'] });
      toast('Password changed. Your other sessions were signed out.');
    },
    onError: (err) => {
      if (err instanceof ApiError && err.code === 'invalid_credentials')
        setErrors({ currentPassword: 'This is not your current password' });
      else setErrors(problemFieldErrors(err));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { confirm, ...rest } = form;
    let fieldErrors: FieldErrors = {};
    const input = validate(changePasswordSchema, rest, (errs) => (fieldErrors = errs));
    if (fieldErrors.currentPassword) fieldErrors.currentPassword = 'Enter your current password';
    if (!fieldErrors.newPassword && rest.newPassword && rest.newPassword === rest.currentPassword)
      fieldErrors.newPassword = 'Choose a password different from the current one';
    const mismatch = passwordMismatch(rest.newPassword, confirm);
    if (mismatch) fieldErrors.confirm = mismatch;
    setErrors(fieldErrors);
    if (input && Object.keys(fieldErrors).length === 0) change.mutate(input);
  };
  const shownError =
    change.error instanceof ApiError && ['invalid_credentials', 'validation_failed'].includes(change.error.code) ? null : change.error;
  return (
    <Section id="password-title" title="Password" description="Changing it signs you out on every other device. This one stays signed in.">
      <form className="form" onSubmit={submit} noValidate>
        <ProblemAlert error={shownError} />
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={form.currentPassword}
          onChange={set('currentPassword')}
          error={errors.currentPassword}
        />
        <NewPasswordFields
          label="New password"
          password={form.newPassword}
          confirm={form.confirm}
          onPassword={set('newPassword')}
          onConfirm={set('confirm')}
          passwordError={errors.newPassword}
          confirmError={errors.confirm}
        />
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={change.isPending}>
            Change password
          </Button>
        </div>
      </form>
    </Section>
  );
}

function SessionsSection() {
  const qc = useQueryClient();
  const toast = useToast();
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: () => api.get('/auth/sessions', sessionsSchema) });
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete(`/auth/sessions/${id}`),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['sessions'] });
      toast('That session was signed out');
    },
  });
  return (
    <Section
      id="sessions-title"
      title="Where you're signed in"
      description="Sign out any session you don't recognise, such as a shared or lost device."
    >
      {sessions.isPending ? (
        <LoadingState label="Loading sessions…" />
      ) : sessions.isError ? (
        <ErrorState error={sessions.error} onRetry={() => void sessions.refetch()} />
      ) : sessions.data.data.length === 0 ? (
        <EmptyState icon="monitor" title="No active sessions" />
      ) : (
        <>
          <ProblemAlert error={revoke.error} />
          <ul className="session-list" aria-label="Active sessions">
            {sessions.data.data.map((s) => (
              <li key={s.id} className="session-item">
                <span className="session-icon" aria-hidden="true">
                  <Icon name="monitor" />
                </span>
                <div className="session-text">
                  <div className="cell-primary">
                    {describeUserAgent(s.userAgent)}
                    {s.current && <Badge tone="accent">This device</Badge>}
                  </div>
                  <div className="cell-secondary">
                    {s.ip ?? 'Unknown address'} · signed in {formatDate(s.createdAt)} · active {formatRelative(s.lastSeenAt).toLowerCase()}
                  </div>
                </div>
                {!s.current && (
                  <Button
                    size="sm"
                    variant="danger-ghost"
                    busy={revoke.isPending && revoke.variables === s.id}
                    onClick={() => revoke.mutate(s.id)}
                    aria-label={`Sign out ${describeUserAgent(s.userAgent)} from ${s.ip ?? 'unknown address'}`}
                  >
                    Sign out
                  </Button>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </Section>
  );
}

function WorkspaceSection() {
  const { workspace } = useSession();
  const qc = useQueryClient();
  const toast = useToast();
  return (
    <Section id="workspace-title" title="Workspace" description="Admins only. The name shows in the sidebar for everyone.">
      <NameForm
        label="Workspace name"
        current={workspace.name}
        schema={updateWorkspaceSchema}
        save={(input) => api.patch('/workspace', workspaceSchema, input)}
        onSaved={(updated) => {
          qc.setQueryData(sessionQuery.queryKey, (s: SessionInfo | null | undefined) => (s ? { ...s, workspace: updated } : s));
          toast('The workspace was renamed');
        }}
        submitLabel="Save workspace name"
      >
        <dl className="facts">
          <div>
            <dt>Identifier</dt>
            <dd>
              <code>{workspace.slug}</code>
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatDate(workspace.createdAt)}</dd>
          </div>
        </dl>
      </NameForm>
    </Section>
  );
}
