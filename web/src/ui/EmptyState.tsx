import type { ReactNode } from 'react';
import { Button } from './Button.js';
import { Icon, type IconName } from './Icon.js';
import { problemMessage } from './ProblemAlert.js';

export function EmptyState({ icon, title, children, action }: { icon: IconName; title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="state state-empty">
      <span className="state-icon">
        <Icon name={icon} size={22} />
      </span>
      <h3 className="state-title">{title}</h3>
      {children && <p className="state-text">{children}</p>}
      {action && <div className="state-action">{action}</div>}
    </div>
  );
}

/** A section that failed to load, with a retry. */
export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { title, detail, requestId } = problemMessage(error);
  return (
    <div className="state state-error" role="alert">
      <span className="state-icon">
        <Icon name="alert" size={22} />
      </span>
      <h3 className="state-title">Could not load this: {title.replace(/\.$/, '').toLowerCase()}</h3>
      {detail && <p className="state-text">{detail}</p>}
      {requestId && <p className="state-meta">Request id {requestId}</p>}
      {onRetry && (
        <div className="state-action">
          <Button icon="refresh" onClick={onRetry}>
            Try again
          </Button>
        </div>
      )}
    </div>
  );
}
