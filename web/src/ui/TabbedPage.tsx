import { Link, type LinkOptions } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { useCan } from '../lib/session.js';
import { PageHeader } from './PageHeader.js';
import { Forbidden } from './RouteStates.js';

export interface PageTab<T extends string> {
  id: T;
  label: string;
  /** The permission a role needs to see the tab. */
  permission: string;
}

/**
 * A page of tabs kept in the URL: the header, the tabs the user's role may see (links, so a tab can
 * be opened in a new browser tab or shared), and the active tab's content. When the role may see
 * none of them, the page says so instead.
 */
export function TabbedPage<T extends string>({
  title,
  description,
  className,
  tabs,
  current,
  tabLink,
  children,
}: {
  /** The page's heading, and the name of its tab bar. */
  title: string;
  description: ReactNode;
  /** The page's own class, next to `page`. */
  className: string;
  tabs: ReadonlyArray<PageTab<T>>;
  /** The tab in the URL; the first one shown when it is left out or not shown to this role. */
  current: T | undefined;
  /** Where a tab links to: the page, with the tab in its search (build it with `linkOptions`). */
  tabLink: (tab: T) => LinkOptions;
  children: (active: T) => ReactNode;
}) {
  const can = useCan();
  const shown = tabs.filter((t) => can(t.permission));
  const first = shown[0];
  if (!first) return <Forbidden what={title} />;
  const active = shown.find((t) => t.id === current) ?? first;

  return (
    <div className={`page ${className}`}>
      <PageHeader title={title} description={description} />
      <nav className="tabs" aria-label={title}>
        {shown.map((t) => (
          <Link
            key={t.id}
            {...tabLink(t.id)}
            className={`tab${t.id === active.id ? ' active' : ''}`}
            aria-current={t.id === active.id ? 'page' : undefined}
            activeOptions={{ exact: true }}
            activeProps={{}}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      {children(active.id)}
    </div>
  );
}
