import { Link } from '@tanstack/react-router';
import type { DataQualitySearch } from '../../router.js';
import type { MatchObject } from './quality-queries.js';

/**
 * Contacts or accounts, for the duplicate tabs; kept in the URL (contacts when left out). Which
 * one is current is decided here: the router's own "active" would count the contacts link (no
 * object) as matching every URL.
 */
export function ObjectSwitch({ object, tab }: { object: MatchObject; tab: NonNullable<DataQualitySearch['tab']> }) {
  return (
    <div className="dq-switch" role="group" aria-label="Records">
      {(['contact', 'account'] as const).map((o) => (
        <Link
          key={o}
          to="/data-quality"
          search={{ tab, object: o === 'contact' ? undefined : o }}
          className="dq-switch-btn"
          aria-current={object === o ? 'page' : undefined}
          activeOptions={{ exact: true }}
          activeProps={{}}
        >
          {o === 'contact' ? 'Contacts' : 'Accounts'}
        </Link>
      ))}
    </div>
  );
}
