import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createUserSchema, userSchema, type CreateUserInput } from '../../../../src/modules/users/users.schema.js';
import { api, ApiError } from '../../lib/api.js';
import { problemFieldErrors, useFormState, validate } from '../../lib/form.js';
import { roleLabel, type Role } from '../../lib/roles.js';
import { Button } from '../../ui/Button.js';
import { Dialog } from '../../ui/Dialog.js';
import { TextField } from '../../ui/Field.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { useToast } from '../../ui/Toast.js';
import { RolePicker } from './RolePicker.js';

const initial = { name: '', email: '', password: '', role: '' as const };

export function CreateUserDialog({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const {
    values: form,
    set,
    errors,
    setErrors,
  } = useFormState<{ name: string; email: string; password: string; role: Role | '' }>(initial);

  const create = useMutation({
    mutationFn: (input: CreateUserInput) => api.post('/users', userSchema, input),
    onSuccess: async (user) => {
      await qc.invalidateQueries({ queryKey: ['users'] });
      toast(`${user.name || user.email} was added as ${roleLabel(user.role)}`);
      onClose();
    },
    onError: (err) => {
      if (err instanceof ApiError && err.code === 'already_exists') setErrors({ email: 'A user with this email already exists' });
      else setErrors(problemFieldErrors(err));
    },
  });

  const submit = () => {
    const input = validate(createUserSchema, { ...form, role: form.role || undefined }, (errs) =>
      setErrors({ ...errs, ...(errs.role && { role: 'Choose a role' }) }),
    );
    if (input) create.mutate(input);
  };

  const showProblem =
    create.error &&
    !(create.error instanceof ApiError && (create.error.code === 'already_exists' || create.error.code === 'validation_failed'));

  return (
    <Dialog
      title="New user"
      description="They sign in with this email and password. Share the password with them safely; they can change it under Settings."
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
            Create user
          </Button>
        </>
      }
    >
      {showProblem && <ProblemAlert error={create.error} />}
      <div className="form-row">
        <TextField label="Name" autoComplete="off" value={form.name} onChange={set('name')} error={errors.name} />
        <TextField label="Email" type="email" autoComplete="off" value={form.email} onChange={set('email')} error={errors.email} />
      </div>
      <TextField
        label="Initial password"
        type="password"
        autoComplete="new-password"
        value={form.password}
        onChange={set('password')}
        error={errors.password}
        hint="At least 12 characters."
      />
      <RolePicker value={form.role} onChange={set('role')} error={errors.role} />
    </Dialog>
  );
}
