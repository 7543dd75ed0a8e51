import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, isAuthLost } from './lib/api.js';
import { forgetSession } from './lib/session.js';
import { createAppRouter } from './router.js';
import { ToastProvider } from './ui/Toast.js';
import './styles/app.css';

// A lost session (expired, revoked elsewhere, password changed on another device) anywhere in
// the app sends the person back to sign in, and then back to where they were.
const onError = (err: unknown) => {
  if (!isAuthLost(err)) return;
  const here = router.state.location.href;
  if (router.state.location.pathname === '/sign-in' || router.state.location.pathname === '/setup') return;
  forgetSession(queryClient);
  void router.navigate({ to: '/sign-in', search: { redirect: here } });
};

const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({
    onError,
    // Every successful write leaves an audit entry, so the audit log is out of date after any of them.
    onSuccess: (): Promise<void> => queryClient.invalidateQueries({ queryKey: ['audit'] }),
  }),
  defaultOptions: {
    queries: {
      refetchOnWindowFocus: false,
      staleTime: 15_000,
      retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
    },
  },
});

const router = createAppRouter(queryClient);

const el = document.getElementById('root');
if (!el) throw new Error('index.html has no #root element');
createRoot(el).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <RouterProvider router={router} />
      </ToastProvider>
    </QueryClientProvider>
  </StrictMode>,
);
