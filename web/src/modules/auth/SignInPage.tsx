import { useMutation, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, useRouter } from '@tanstack/react-router';
import type { FormEvent } from 'react';
import { loginSchema, sessionInfoSchema } from '../../../../src/modules/auth/auth.schema.js';
import { api, ApiError } from '../../lib/api.js';
import { useFormState, validate } from '../../lib/form.js';
import { acceptSession } from '../../lib/session.js';
import { Button } from '../../ui/Button.js';
import { TextField } from '../../ui/Field.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { AuthLayout } from './AuthLayout.js';

const route = getRouteApi('/sign-in');

/** Only same-site paths are followed after sign-in (no open redirect through ?redirect=). */
function safeRedirect(target: string | undefined): string {
  return target && target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/sign-in') ? target : '/';
}

export function SignInPage() {
  const { redirect } = route.useSearch();
  const router = useRouter();
  const qc = useQueryClient();
  const { values, set, errors, setErrors } = useFormState({ email: '', password: '' });
  const { email, password } = values;

  const login = useMutation({
    mutationFn: (body: { email: string; password: string }) => api.post('/auth/login', sessionInfoSchema, body),
    onSuccess: (session) => {
      acceptSession(qc, session);
      router.history.push(safeRedirect(redirect));
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = validate(loginSchema, { email, password }, (errs) =>
      setErrors({ email: errs.email && 'Enter your email', password: errs.password && 'Enter your password' }),
    );
    if (input) login.mutate(input);
  };

  const wrongCredentials = login.error instanceof ApiError && login.error.code === 'invalid_credentials';

  return (
    <AuthLayout title="Sign in" subtitle="Welcome back. Sign in to your workspace.">
      <form className="form" onSubmit={submit} noValidate>
        {wrongCredentials ? (
          <div className="alert alert-error" role="alert">
            <div>
              <p className="alert-title">Email or password is wrong</p>
              <p className="alert-detail">Check both and try again. Ask an admin to reset your password if you have forgotten it.</p>
            </div>
          </div>
        ) : (
          <ProblemAlert error={login.error} />
        )}
        <TextField
          label="Email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={set('email')}
          error={errors.email}
          autoFocus
        />
        <TextField
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={set('password')}
          error={errors.password}
        />
        <Button type="submit" variant="primary" className="btn-block" busy={login.isPending}>
          Sign in
        </Button>
      </form>
    </AuthLayout>
  );
}
