// Context for export-contacts: a bare Node + pg exporter doing the same work as `keel export
// contacts` (the same keyset pages of 5000 live contacts in id order, the external-id lookup per
// page, the same columns, formulas neutralised, money as 1234.50, ISO timestamps) with nothing
// else: no record view objects, and timestamps kept as text (the session in UTC) instead of being
// parsed into Dates and formatted back. It tells the cost of the work from the cost of Keel's path.
// Run as its own Node process (plain JavaScript), like the Keel CLI it is compared with.

const source = `
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import pg from 'pg';
const { DATABASE_URL, WORKSPACE, FORMAT, OUT, CUSTOM } = process.env;
const custom = JSON.parse(CUSTOM);
const client = new pg.Client({ connectionString: DATABASE_URL, options: '-c TimeZone=UTC' });
await client.connect();
const asText = (v) => v;
const types = { getTypeParser: (oid, format) => (oid === 1184 ? asText : pg.types.getTypeParser(oid, format)) };
const FORMULA = /^'*[=+\\-@\\t\\r]/;
const NUMBER_OR_PHONE = /^[+-]?[0-9][0-9 ().-]*$/;
const safe = (s) => (FORMULA.test(s) && !NUMBER_OR_PHONE.test(s) ? "'" + s : s);
const quote = (s) => (/[",\\r\\n]/.test(s) || s !== s.trim() ? '"' + s.replaceAll('"', '""') + '"' : s);
const cell = (v) => (v === null || v === undefined ? '' : quote(safe(String(v))));
// "2026-11-23 16:48:23.12+00" -> "2026-11-23T16:48:23.120Z"
const iso = (t) => {
  if (t === null) return null;
  const m = /^(\\S+) (\\d\\d:\\d\\d:\\d\\d)(?:\\.(\\d+))?\\+00$/.exec(t);
  return m ? m[1] + 'T' + m[2] + '.' + (m[3] ?? '').padEnd(3, '0').slice(0, 3) + 'Z' : t;
};
const money = (n) => {
  const d = String(Math.abs(n)).padStart(3, '0');
  return (n < 0 ? '-' : '') + d.slice(0, -2) + '.' + d.slice(-2);
};
const core = [['email', 'email'], ['firstName', 'first_name'], ['lastName', 'last_name'], ['phone', 'phone'], ['title', 'title'],
  ['company', 'company'], ['country', 'country'], ['city', 'city'], ['lifecycleStage', 'lifecycle_stage'], ['source', 'source']];
const out = createWriteStream(OUT);
const write = async (s) => { if (!out.write(s)) await once(out, 'drain'); };
if (FORMAT === 'csv') {
  const head = ['id', ...core.map((c) => c[0]), 'ownerEmail', ...custom.map((c) => 'custom.' + c[0]), 'externalIds.crm_id', 'externalIds.map_id', 'createdAt', 'updatedAt'];
  await write('\\uFEFF' + head.join(',') + '\\n');
}
const cols = 'r.id, r.email, r.first_name, r.last_name, r.phone, r.title, r.company, r.country, r.city, r.lifecycle_stage, r.source, r.owner_id, r.account_id, r.traits, r.custom, r.version, r.created_at, r.updated_at, r.deleted_at';
let after = null;
let n = 0;
for (;;) {
  const { rows } = await client.query({
    text: 'select ' + cols + ' from contacts r where r.workspace_id = $1 and r.deleted_at is null' + (after ? ' and r.id > $2' : '') + ' order by r.id limit 5000',
    values: after ? [WORKSPACE, after] : [WORKSPACE],
    types,
  });
  if (rows.length === 0) break;
  const ext = new Map();
  for (const e of (await client.query('select record_id, key, value from external_ids where record_id = any($1::uuid[])', [rows.map((r) => r.id)])).rows) {
    ext.set(e.record_id, { ...ext.get(e.record_id), [e.key]: e.value });
  }
  let chunk = '';
  for (const r of rows) {
    const x = ext.get(r.id) ?? {};
    if (FORMAT === 'csv') {
      let line = r.id;
      for (const c of core) line += ',' + cell(r[c[1]]);
      line += ',';
      for (const [k, t] of custom) {
        const v = r.custom[k];
        line += ',' + (t === 'currency' && typeof v === 'number' ? money(v) : cell(v));
      }
      chunk += line + ',' + cell(x.crm_id) + ',' + cell(x.map_id) + ',' + iso(r.created_at) + ',' + iso(r.updated_at) + '\\n';
    } else {
      chunk += JSON.stringify({
        id: r.id, email: r.email, firstName: r.first_name, lastName: r.last_name, phone: r.phone, title: r.title, company: r.company,
        country: r.country, city: r.city, lifecycleStage: r.lifecycle_stage, source: r.source, ownerId: r.owner_id, accountId: r.account_id,
        traits: r.traits, custom: r.custom, externalIds: x, version: r.version,
        createdAt: iso(r.created_at), updatedAt: iso(r.updated_at), deletedAt: iso(r.deleted_at),
      }) + '\\n';
    }
  }
  await write(chunk);
  n += rows.length;
  after = rows[rows.length - 1].id;
  if (rows.length < 5000) break;
}
out.end();
await once(out, 'finish');
await client.end();
console.log(JSON.stringify({ rows: n }));
`;

/** The command line of the bare exporter (run with `env` from bareExportEnv). */
export function bareExportCommand(nodeArgs: string[] = []): string[] {
  return [process.execPath, ...nodeArgs, '--input-type=module', '-e', source];
}

export function bareExportEnv(
  base: NodeJS.ProcessEnv,
  opts: { databaseUrl: string; workspaceId: string; format: 'csv' | 'jsonl'; out: string; custom: Array<[string, string]> },
): NodeJS.ProcessEnv {
  return {
    ...base,
    DATABASE_URL: opts.databaseUrl,
    WORKSPACE: opts.workspaceId,
    FORMAT: opts.format,
    OUT: opts.out,
    CUSTOM: JSON.stringify(opts.custom),
  };
}
