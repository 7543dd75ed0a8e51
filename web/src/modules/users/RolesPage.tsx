import { useQuery } from '@tanstack/react-query';
import { Fragment } from 'react';
import { roleDescriptions, roleLabel, roles } from '../../lib/roles.js';
import { permissionsQuery, useSession } from '../../lib/session.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { LoadingState } from '../../ui/Spinner.js';
import { UsersTabs } from './UsersTabs.js';

const moduleLabels: Record<string, string> = {
  users: 'Users',
  api_keys: 'API keys',
  audit: 'Audit log',
  workspace: 'Workspace',
};

/** Read-only: which role holds which permission, straight from the policy data the API enforces. */
export function RolesPage() {
  const { user } = useSession();
  const matrix = useQuery(permissionsQuery);

  return (
    <div className="page">
      <PageHeader title="Users & roles" description="Who can sign in to this workspace, and what their role lets them do." />
      <UsersTabs />
      {matrix.isPending ? (
        <LoadingState label="Loading permissions…" />
      ) : matrix.isError ? (
        <ErrorState error={matrix.error} onRetry={() => void matrix.refetch()} />
      ) : (
        <>
          <ul className="role-summary" aria-label="Roles">
            {roles.map((r) => (
              <li key={r} className={r === user.role ? 'current' : undefined}>
                <span className="role-summary-name">
                  {roleLabel(r)}
                  {r === user.role && <span className="role-summary-you">your role</span>}
                </span>
                <span className="role-summary-desc">{roleDescriptions[r]}</span>
              </li>
            ))}
          </ul>
          <div className="card table-card">
            <div className="table-scroll">
              <table className="table matrix" aria-label="Permissions by role">
                <thead>
                  <tr>
                    <th scope="col">Permission</th>
                    {matrix.data.roles.map((r) => (
                      <th key={r.id} scope="col" className="matrix-role">
                        {r.label}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {[...new Set(matrix.data.permissions.map((p) => p.module))].map((mod) => (
                    <Fragment key={mod}>
                      <tr className="matrix-group">
                        <th scope="colgroup" colSpan={matrix.data.roles.length + 1}>
                          {moduleLabels[mod] ?? mod}
                        </th>
                      </tr>
                      {matrix.data.permissions
                        .filter((p) => p.module === mod)
                        .map((p) => (
                          <tr key={p.name}>
                            <th scope="row" className="matrix-perm">
                              <span className="matrix-perm-desc">{p.description}</span>
                              <code className="matrix-perm-name">{p.name}</code>
                            </th>
                            {matrix.data.roles.map((r) => {
                              const has = p.roles.includes(r.id);
                              return (
                                <td key={r.id} className={`matrix-cell${has ? ' yes' : ''}`}>
                                  {has ? <Icon name="check" size={16} /> : <span aria-hidden="true">–</span>}
                                  <span className="sr-only">{has ? `${r.label} may` : `${r.label} may not`}</span>
                                </td>
                              );
                            })}
                          </tr>
                        ))}
                    </Fragment>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        </>
      )}
    </div>
  );
}
