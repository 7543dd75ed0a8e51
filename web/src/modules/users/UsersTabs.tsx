import { Link } from '@tanstack/react-router';

export function UsersTabs() {
  return (
    <nav className="tabs" aria-label="Users and roles">
      <Link
        to="/users"
        className="tab"
        activeOptions={{ exact: true, includeSearch: false }}
        activeProps={{ className: 'tab active', 'aria-current': 'page' }}
      >
        Users
      </Link>
      <Link to="/users/roles" className="tab" activeProps={{ className: 'tab active', 'aria-current': 'page' }}>
        Roles & permissions
      </Link>
    </nav>
  );
}
