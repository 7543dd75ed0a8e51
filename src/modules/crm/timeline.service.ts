import { sql } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import type { Page } from '../../platform/http/pagination.js';
import type { ObjectDef } from './crm-objects.js';
import { findRecord } from './records.repo.js';
import type { TimelineEntry } from './records.schema.js';

interface TimelineCursor {
  at: string;
  id: string;
}

function decode(cursor: string | undefined): TimelineCursor | null {
  if (!cursor) return null;
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<TimelineCursor>;
    if (typeof c.at === 'string' && !Number.isNaN(Date.parse(c.at)) && typeof c.id === 'string' && c.id.length <= 80)
      return { at: c.at, id: c.id };
  } catch {
    /* fall through */
  }
  throw new AppError('invalid_cursor', 'The cursor is not one this API returned');
}

/**
 * A record's history, newest first (times cut to milliseconds, as the cursor carries them): every audited change to it, and every import that created or
 * updated it (imports keep their per-record log in import_changes, not one audit row per record).
 * Records merged into this one bring their history along. Events, emails and form fills join this
 * list as those modules land.
 */
export async function recordTimeline(
  db: DbOrTx,
  workspaceId: string,
  def: ObjectDef,
  id: string,
  q: { limit: number; cursor?: string },
): Promise<Page<TimelineEntry>> {
  if (!(await findRecord(db, def, workspaceId, id))) throw notFound(def.label);
  const c = decode(q.cursor);
  const before = c ? sql`and (at, eid) < (${new Date(c.at)}, ${c.id})` : sql``;
  const r = await sql<{
    eid: string;
    at: Date;
    kind: 'change' | 'import';
    action: string;
    actor: string;
    changes: Record<string, unknown> | null;
    import_id: string | null;
  }>`select * from (
      select a.id::text as eid, date_trunc('milliseconds', a.occurred_at) as at, 'change' as kind, a.action, a.actor_label as actor, a.changes, null::uuid as import_id
        from audit_log a where a.workspace_id = ${workspaceId} and a.entity_type = ${def.object}
          and (a.entity_id = ${id} or a.entity_id in (select m.id::text from ${sql.table(def.table)} m where m.workspace_id = ${workspaceId} and m.merged_into = ${id}))
      union all
      select 'import:' || i.id::text as eid, date_trunc('milliseconds', coalesce(i.started_at, i.created_at)) as at, 'import' as kind,
             ${def.object} || '.' || ch.op || '_by_import' as action, i.actor_label as actor,
             jsonb_build_object('file', i.file_name, 'undone', i.undone_at is not null) as changes, i.id as import_id
        from import_changes ch join imports i on i.id = ch.import_id
        where ch.record_id = ${id} and i.workspace_id = ${workspaceId}
    ) t where true ${before}
    order by at desc, eid desc limit ${q.limit + 1}`.execute(db);
  const rows = r.rows.slice(0, q.limit);
  const last = rows[rows.length - 1];
  return {
    data: rows.map((x) => ({
      id: x.eid,
      at: x.at.toISOString(),
      kind: x.kind,
      action: x.action,
      actor: x.actor,
      changes: x.changes ?? {},
      importId: x.import_id,
    })),
    nextCursor:
      r.rows.length > q.limit && last
        ? Buffer.from(JSON.stringify({ at: last.at.toISOString(), id: last.eid })).toString('base64url')
        : null,
  };
}
