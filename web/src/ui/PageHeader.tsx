import { useEffect, type ReactNode } from 'react';

/** Names the browser tab after the screen, so several open tabs can be told apart. */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Keel`;
  }, [title]);
}

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  useDocumentTitle(title);
  return (
    <header className="page-header">
      <div className="page-header-text">
        <h1 className="page-title">{title}</h1>
        {description && <p className="page-description">{description}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}
