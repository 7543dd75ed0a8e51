import { useNavigate } from '@tanstack/react-router';
import type { MouseEvent } from 'react';
import { Icon } from '../../ui/Icon.js';
import type { RecordKind } from './record-kinds.js';

/**
 * "Import CSV": the importer lives at /imports/new (its own module), so this link goes by address
 * rather than by a typed route, and still navigates inside the app.
 */
export function ImportLink({ kind, variant = 'secondary' }: { kind: RecordKind; variant?: 'secondary' | 'primary' }) {
  const navigate = useNavigate();
  const href = `/imports/new?object=${kind.object}`;
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    void navigate({ href });
  };
  return (
    <a className={`btn btn-${variant}`} href={href} onClick={onClick}>
      <Icon name="upload" size={17} />
      <span>Import CSV</span>
    </a>
  );
}
