import { Link, useRouter, type ErrorComponentProps } from '@tanstack/react-router';
import { EmptyState, ErrorState } from './EmptyState.js';

export function NotFound() {
  return (
    <div className="page page-narrow">
      <EmptyState
        icon="search"
        title="Page not found"
        action={
          <Link to="/" className="btn btn-secondary">
            Go to the start page
          </Link>
        }
      >
        There is nothing at this address. It may have moved, or the link may be mistyped.
      </EmptyState>
    </div>
  );
}

export function RouteError({ error, reset }: ErrorComponentProps) {
  const router = useRouter();
  // Run the route's checks again (e.g. the server was restarting), not just re-render.
  const retry = () => {
    reset();
    void router.invalidate();
  };
  return (
    <div className="page page-narrow">
      <ErrorState error={error} onRetry={retry} />
    </div>
  );
}

/** Shown when someone opens a screen their role may not read (the nav hides it already). */
export function Forbidden({ what }: { what: string }) {
  return (
    <div className="page page-narrow">
      <EmptyState
        icon="lock"
        title={`${what} is not available to your role`}
        action={
          <Link to="/" className="btn btn-secondary">
            Back to the start page
          </Link>
        }
      >
        Ask an admin of this workspace if you need access.
      </EmptyState>
    </div>
  );
}
