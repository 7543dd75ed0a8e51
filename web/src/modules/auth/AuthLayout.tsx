import type { ReactNode } from 'react';
import { Icon } from '../../ui/Icon.js';
import { useDocumentTitle } from '../../ui/PageHeader.js';

/** The centred card used by sign-in and first-run set-up. */
export function AuthLayout({
  title,
  subtitle,
  children,
  footer,
  wide = false,
}: {
  title: string;
  subtitle?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
}) {
  useDocumentTitle(title);
  return (
    <div className="auth">
      <main className={`auth-card${wide ? ' auth-card-wide' : ''}`}>
        <div className="auth-brand">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="anchor" size={18} />
          </span>
          <span className="auth-brand-name">Keel</span>
        </div>
        <h1 className="auth-title">{title}</h1>
        {subtitle && <p className="auth-subtitle">{subtitle}</p>}
        {children}
      </main>
      {footer && <p className="auth-footer">{footer}</p>}
    </div>
  );
}
