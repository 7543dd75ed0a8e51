import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Outlet, useNavigate, useRouterState } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { api } from '../lib/api.js';
import { roleLabel } from '../lib/roles.js';
import { forgetSession, sessionQuery, useCan } from '../lib/session.js';
import { Icon, type IconName } from './Icon.js';

interface NavItem {
  to:
    | '/contacts'
    | '/accounts'
    | '/segments'
    | '/lists'
    | '/imports'
    | '/data-quality'
    | '/routing'
    | '/scoring'
    | '/sources'
    | '/events'
    | '/tracking-plan'
    | '/settings/fields'
    | '/users'
    | '/api-keys'
    | '/audit'
    | '/account';
  label: string;
  icon: IconName;
  /** The permission needed to read the section; absent means every signed-in user. */
  permission?: string;
}

// Only modules that exist are listed; each appears only to roles that may read it.
const nav: NavItem[] = [
  { to: '/contacts', label: 'Contacts', icon: 'user', permission: 'contacts.read' },
  { to: '/accounts', label: 'Accounts', icon: 'building', permission: 'accounts.read' },
  { to: '/segments', label: 'Segments', icon: 'filter', permission: 'segments.read' },
  { to: '/lists', label: 'Lists', icon: 'list', permission: 'lists.read' },
  { to: '/imports', label: 'Imports', icon: 'upload', permission: 'contacts.import' },
  { to: '/data-quality', label: 'Data quality', icon: 'gauge', permission: 'quality.read' },
  { to: '/routing', label: 'Lead routing', icon: 'merge', permission: 'routing.read' },
  { to: '/scoring', label: 'Lead scoring', icon: 'target', permission: 'scoring.read' },
  { to: '/sources', label: 'Sources', icon: 'link', permission: 'tracking.read' },
  { to: '/events', label: 'Live events', icon: 'monitor', permission: 'tracking.read' },
  { to: '/tracking-plan', label: 'Tracking plan', icon: 'shield', permission: 'tracking.read' },
  { to: '/users', label: 'Users & roles', icon: 'users', permission: 'users.read' },
  { to: '/api-keys', label: 'API keys', icon: 'key', permission: 'api_keys.read' },
  { to: '/audit', label: 'Audit log', icon: 'audit', permission: 'audit.read' },
  { to: '/settings/fields', label: 'Fields', icon: 'columns', permission: 'custom_fields.read' },
  { to: '/account', label: 'Settings', icon: 'settings' },
];

function initials(name: string, email: string): string {
  const source = name.trim() || email;
  const parts = source.split(/[\s@._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '') + (parts[1]?.[0] ?? '')).toUpperCase() || '?';
}

export function AppFrame() {
  const { data: session } = useQuery(sessionQuery);
  const can = useCan();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [menuOpen, setMenuOpen] = useState(false);
  const pathname = useRouterState({ select: (s) => s.location.pathname });

  // The drawer closes whenever the page changes, and on Escape.
  useEffect(() => setMenuOpen(false), [pathname]);
  useEffect(() => {
    if (!menuOpen) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setMenuOpen(false);
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  const signOut = useMutation({
    mutationFn: () => api.postNoContent('/auth/logout'),
    onSettled: async () => {
      forgetSession(qc);
      await navigate({ to: '/sign-in', search: { redirect: undefined } });
    },
  });

  if (!session) return null;
  const { user, workspace } = session;
  const items = nav.filter((item) => !item.permission || can(item.permission));

  return (
    <div className={`app${menuOpen ? ' app-menu-open' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="icon-btn"
          aria-label={menuOpen ? 'Close navigation' : 'Open navigation'}
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <Icon name={menuOpen ? 'x' : 'menu'} size={20} />
        </button>
        <span className="topbar-title">{workspace.name}</span>
      </header>
      <div className="scrim" onClick={() => setMenuOpen(false)} aria-hidden="true" />
      <aside className="sidebar" id="sidebar" aria-label="Workspace">
        <div className="sidebar-brand">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="anchor" size={18} />
          </span>
          <div className="brand-text">
            <span className="brand-workspace" title={workspace.name}>
              {workspace.name}
            </span>
            <span className="brand-product">Keel</span>
          </div>
        </div>
        <nav className="sidebar-nav" aria-label="Main">
          <ul>
            {items.map((item) => (
              <li key={item.to}>
                <Link to={item.to} className="nav-link" activeProps={{ className: 'nav-link active', 'aria-current': 'page' }}>
                  <Icon name={item.icon} />
                  <span>{item.label}</span>
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sidebar-user">
          <span className="avatar" aria-hidden="true">
            {initials(user.name, user.email)}
          </span>
          <div className="sidebar-user-text">
            <span className="sidebar-user-name" title={user.name || user.email}>
              {user.name || user.email}
            </span>
            <span className="sidebar-user-role">{roleLabel(user.role)}</span>
          </div>
          <button
            type="button"
            className="icon-btn"
            aria-label="Sign out"
            title="Sign out"
            onClick={() => signOut.mutate()}
            disabled={signOut.isPending}
          >
            <Icon name="logout" />
          </button>
        </div>
      </aside>
      <main className="main" id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
