import type { ReactNode } from 'react';
import { ApiError } from '../lib/api.js';
import { Icon } from './Icon.js';

/** Friendlier words for the API's stable error codes; the server's detail follows. */
const friendly: Record<string, string> = {
  forbidden: 'Your role does not allow this.',
  csrf_failed: 'Your session token is out of date. Reload the page and try again.',
  rate_limited: 'Too many attempts. Wait a minute and try again.',
  conflict: 'This conflicts with the current state.',
  already_exists: 'That already exists.',
  network_error: 'Cannot reach the server.',
  internal: 'Something went wrong on our side.',
};

export function problemMessage(error: unknown): { title: string; detail?: string | undefined; requestId?: string | undefined } {
  if (error instanceof ApiError) {
    const p = error.problem;
    const title = friendly[p.code] ?? p.title;
    const detail = p.detail && p.detail !== p.title ? p.detail : undefined;
    return { title, detail, requestId: p.requestId };
  }
  if (error instanceof Error) return { title: 'Something went wrong', detail: error.message };
  return { title: 'Something went wrong' };
}

/** Shows a problem+json error: the title, the server's detail and its request id for support. */
export function ProblemAlert({ error, className }: { error: unknown; className?: string }) {
  if (!error) return null;
  const { title, detail, requestId } = problemMessage(error);
  return (
    <div className={`alert alert-error${className ? ` ${className}` : ''}`} role="alert">
      <Icon name="alert" className="alert-icon" />
      <div>
        <p className="alert-title">{title}</p>
        {detail && <p className="alert-detail">{detail}</p>}
        {requestId && <p className="alert-meta">Request id {requestId}</p>}
      </div>
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'warning' | 'success' }) {
  return (
    <div className={`alert alert-${tone}`} role={tone === 'warning' ? 'alert' : 'status'}>
      <Icon name={tone === 'success' ? 'check' : tone === 'warning' ? 'alert' : 'info'} className="alert-icon" />
      <div>{children}</div>
    </div>
  );
}
