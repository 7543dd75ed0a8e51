import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { Badge } from '../../ui/Badge.js';
import { accountKind, contactKind } from '../records/record-kinds.js';
import { recordQuery } from '../records/record-queries.js';
import type { MatchObject } from './quality-queries.js';

/** A record's name as a link to its page (a merged record's page says where it went). */
export function RecordName({ object, id }: { object: MatchObject; id: string }) {
  const kind = object === 'contact' ? contactKind : accountKind;
  const rec = useQuery({ ...recordQuery(kind, id), staleTime: 30_000, retry: false });
  const name = rec.data ? kind.displayName(rec.data) : rec.isError ? 'Erased record' : '…';
  if (rec.isError) return <span className="muted">{name}</span>;
  return (
    <Link to={kind.recordPath} params={{ id }} className="record-link" data-record={id}>
      {name}
    </Link>
  );
}

/** A record after an undo: its name, the line under it (a contact's email) and whether it is live. */
export function RecordBack({ object, id }: { object: MatchObject; id: string }) {
  const kind = object === 'contact' ? contactKind : accountKind;
  const rec = useQuery({ ...recordQuery(kind, id), retry: false });
  const r = rec.data;
  return (
    <div className="dq-back-record" data-record={id}>
      <RecordName object={object} id={id} />
      {r && <span className="cell-secondary">{kind.subtitle(r)}</span>}
      {r && (r.deletedAt ? <Badge tone="danger">In the trash</Badge> : <Badge tone="success">Live</Badge>)}
    </div>
  );
}
