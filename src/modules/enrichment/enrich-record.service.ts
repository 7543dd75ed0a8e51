import type { Actor } from '../../platform/actor.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { coreField, type ObjectDef } from '../crm/crm-objects.js';
import type { CustomField } from '../crm/custom-fields.schema.js';
import { activeFields } from '../crm/custom-fields.service.js';
import { valueSchema } from '../crm/field-types.js';
import { findRecord, type RecordRow } from '../crm/records.repo.js';
import { coreValueSchema } from '../crm/records.schema.js';
import { applyUpdate } from '../crm/records.service.js';
import {
  enrichableFields,
  type EnrichRequest,
  type EnrichResult,
  type OverwriteMode,
  type Provenance,
  type ProviderRun,
  type valueOutcomes,
} from './enrichment.schema.js';
import { edb } from './enrichment.tables.js';
import type { EnrichedValue, ProviderAnswer } from './provider.js';
import { providersForRun, type RunnableProvider } from './providers.service.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

type Outcome = (typeof valueOutcomes)[number];
type Primitive = string | number | boolean;

/** Provenance sources of values enrichment wrote; any other source is a person's (api, import, ui). */
export const ENRICHMENT_SOURCE = 'enrichment:';
export const enrichmentSource = (providerName: string): string => `${ENRICHMENT_SOURCE}${providerName}`;

/** Values equal as stored: a bigint column reads back as text, a number may arrive as one. */
export function sameStoredValue(a: unknown, b: unknown): boolean {
  const empty = (v: unknown) => v === null || v === undefined || v === '';
  if (empty(a) || empty(b)) return empty(a) && empty(b);
  if (typeof a !== 'object' && typeof b !== 'object') return String(a) === String(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

function currentValue(def: ObjectDef, row: RecordRow, field: string): unknown {
  if (field.startsWith('custom.')) return row.custom[field.slice('custom.'.length)];
  const f = coreField(def, field);
  return f ? row[f.column] : undefined;
}

/** A provider's value in the type of our field: "1200" for a number field is 1200, 42 for a text field "42". */
function coerce(type: string, v: Primitive): unknown {
  if ((type === 'number' || type === 'currency') && typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  if (type === 'boolean' && typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  if (type !== 'number' && type !== 'currency' && type !== 'boolean' && typeof v !== 'string') return String(v);
  return v;
}

/** The value as our field takes it, or why it cannot take it. */
function fitValue(def: ObjectDef, fields: readonly CustomField[], field: string, v: Primitive): { value: unknown } | { problem: string } {
  if (field.startsWith('custom.')) {
    const key = field.slice('custom.'.length);
    const f = fields.find((x) => x.key === key);
    if (!f) return { problem: `There is no custom field ${key}` };
    const r = valueSchema(f).safeParse(coerce(f.type, v));
    return r.success ? { value: r.data } : { problem: r.error.issues[0]?.message ?? `Not a valid ${f.label}` };
  }
  const f = coreField(def, field);
  if (!f || !enrichableFields[def.object].includes(field))
    return { problem: `${field} is not a field enrichment can write on ${def.plural}` };
  const r = coreValueSchema(f).safeParse(coerce(f.type, v));
  return r.success ? { value: r.data } : { problem: r.error.issues[0]?.message ?? `Not a valid ${f.label}` };
}

type ProvenanceRow = { field: string; source: string; value: unknown; confidence: number };

interface Candidate {
  run: ProviderRun;
  provider: RunnableProvider;
  found: EnrichedValue;
  value: unknown;
  order: number;
}

/**
 * Whether the value may be written over what the field holds now:
 * - an empty field is filled;
 * - a value a person gave (its provenance is not enrichment, or it has none, or the record no
 *   longer holds the value enrichment wrote) is kept unless the provider's rule is `always`;
 * - a value enrichment wrote is replaced by one at least as confident (rule `enriched`), never by a
 *   less confident one, and not at all under rule `empty`.
 */
function decide(current: unknown, prov: ProvenanceRow | undefined, c: Candidate, rule: OverwriteMode): Outcome {
  if (current === null || current === undefined || current === '') return 'filled';
  if (sameStoredValue(current, c.value)) return 'same_value';
  if (rule === 'always') return 'replaced';
  const byEnrichment = prov !== undefined && prov.source.startsWith(ENRICHMENT_SOURCE) && sameStoredValue(prov.value, current);
  if (!byEnrichment) return 'kept_person_value';
  if (rule === 'empty') return 'kept_by_rule';
  return c.found.confidence < prov.confidence ? 'kept_higher_confidence' : 'replaced';
}

const MESSAGES: Partial<Record<Outcome, string>> = {
  kept_person_value: 'A person gave this field its value; the provider may not overwrite it',
  kept_higher_confidence: 'The value there came from enrichment with a higher confidence',
  kept_by_rule: "The provider's rule for this field is to fill it only when empty",
  lost_to_other_provider: 'Another provider gave a more confident value',
};

async function ask(p: RunnableProvider, def: ObjectDef, row: RecordRow): Promise<ProviderAnswer> {
  if (!p.provider) return { status: 'error', error: { code: 'internal', message: p.broken ?? 'The provider cannot run' } };
  const s = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  try {
    return def.object === 'contact'
      ? await p.provider.enrichContact({ email: s(row.email), phone: s(row.phone), country: s(row.country), company: s(row.company) })
      : await p.provider.enrichAccount({ domain: s(row.domain), name: s(row.name), country: s(row.country) });
  } catch (err) {
    // Providers answer errors rather than throw; this is the net under that promise.
    return { status: 'error', error: { code: 'internal', message: `The provider failed: ${(err as Error).message}` } };
  }
}

/**
 * Enriches one contact or account: asks the providers (outside any transaction: a slow service must
 * not hold a lock), then in one transaction re-reads the record, decides field by field which
 * value wins and whether it may be written (`decide`), writes the winners through the records
 * service (normalisation, version, audit entry `<object>.enriched`, segment triggers) and records
 * their provenance.
 */
export async function enrichRecord(ctx: Ctx, actor: Actor, def: ObjectDef, id: string, req: EnrichRequest): Promise<EnrichResult> {
  const ws = actor.workspaceId;
  const first = await findRecord(ctx.db, def, ws, id);
  if (!first) throw notFound(def.label);
  if (first.deleted_at) throw new AppError('conflict', `This ${def.label.toLowerCase()} is deleted: restore it first`);
  const providers = await providersForRun(ctx.db, ws, def.object, req.providerId);
  const answers = await Promise.all(providers.map((p) => ask(p, def, first)));

  return ctx.db.transaction().execute(async (trx) => {
    const before = await findRecord(trx, def, ws, id, { forUpdate: true });
    if (!before) throw notFound(def.label);
    if (before.deleted_at) throw new AppError('conflict', `This ${def.label.toLowerCase()} is deleted: restore it first`);
    const fields = await activeFields(trx, ws, def.object);
    const provenance = new Map(
      (
        await edb(trx)
          .selectFrom('field_provenance')
          .select(['field', 'source', 'value', 'confidence'])
          .where('record_id', '=', id)
          .execute()
      ).map((p) => [p.field, p]),
    );
    const runs: ProviderRun[] = [];
    const byField = new Map<string, Candidate[]>();
    providers.forEach((p, i) => {
      const a = answers[i] ?? { status: 'error', error: { code: 'internal', message: 'No answer' } };
      const run: ProviderRun = {
        providerId: p.id,
        name: p.name,
        kind: p.kind,
        status: a.status,
        error: a.status === 'error' ? a.error : null,
        values: [],
        facts: a.status === 'ok' ? a.facts : a.status === 'not_applicable' ? { reason: a.reason } : {},
      };
      runs.push(run);
      if (a.status !== 'ok') return;
      for (const found of a.values) {
        const fit = fitValue(def, fields, found.field, found.value);
        if ('problem' in fit) {
          run.values.push({ ...found, outcome: 'invalid', message: fit.problem });
          continue;
        }
        const list = byField.get(found.field) ?? [];
        list.push({ run, provider: p, found, value: fit.value, order: i });
        byField.set(found.field, list);
      }
    });

    const input: Record<string, unknown> & { custom?: Record<string, unknown> } = {};
    const written: Candidate[] = [];
    const confirmed: Candidate[] = [];
    for (const [field, list] of byField) {
      // The most confident value wins; between equals, the provider listed first.
      list.sort((x, y) => y.found.confidence - x.found.confidence || x.order - y.order);
      const [best, ...rest] = list;
      if (!best) continue;
      const prov = provenance.get(field);
      const outcome = decide(currentValue(def, before, field), prov, best, best.provider.overwrite[field] ?? 'enriched');
      best.run.values.push({ ...best.found, outcome, ...(MESSAGES[outcome] && { message: MESSAGES[outcome] }) });
      for (const other of rest) {
        const o: Outcome = sameStoredValue(other.value, best.value) ? outcome : 'lost_to_other_provider';
        other.run.values.push({ ...other.found, outcome: o, ...(MESSAGES[o] && { message: MESSAGES[o] }) });
      }
      if (outcome === 'filled' || outcome === 'replaced') {
        if (field.startsWith('custom.')) input.custom = { ...input.custom, [field.slice('custom.'.length)]: best.value };
        else input[field] = best.value;
        written.push(best);
      } else if (outcome === 'same_value' && prov?.source.startsWith(ENRICHMENT_SOURCE) && best.found.confidence > prov.confidence) {
        // The same value, now with more confidence behind it.
        confirmed.push(best);
      }
    }

    const after = Object.keys(input).length
      ? await applyUpdate(trx, ctx.clock, actor, def, before, input, fields, `${def.object}.enriched`)
      : before;
    const now = ctx.clock.now();
    for (const c of [...written, ...confirmed]) {
      // The value as stored (normalised: "Germany" is stored as DE), so a later comparison holds.
      const stored = currentValue(def, after, c.found.field);
      if (stored === null || stored === undefined) continue;
      await writeProvenance(trx, ws, def.object, id, c.found.field, {
        source: enrichmentSource(c.provider.name),
        value: stored,
        confidence: c.found.confidence,
        at: now,
      });
    }
    return { object: def.object, recordId: id, changed: after !== before, version: after.version, providers: runs };
  });
}

/**
 * Records where a field's value came from (upsert: the latest write). Enrichment calls it for each
 * value it writes; other write paths may call it with 'api', 'import' or 'ui'.
 */
export async function writeProvenance(
  db: DbOrTx,
  ws: string,
  object: 'contact' | 'account',
  recordId: string,
  field: string,
  p: { source: string; value: unknown; confidence: number; at: Date },
): Promise<void> {
  const value = JSON.stringify(p.value);
  await edb(db)
    .insertInto('field_provenance')
    .values({ workspace_id: ws, object, record_id: recordId, field, source: p.source, value, confidence: p.confidence, at: p.at })
    .onConflict((oc) => oc.columns(['record_id', 'field']).doUpdateSet({ source: p.source, value, confidence: p.confidence, at: p.at }))
    .execute();
}

/** Where each field's value came from, with whether the record still holds it. */
export async function recordProvenance(db: DbOrTx, ws: string, def: ObjectDef, id: string): Promise<Provenance[]> {
  const row = await findRecord(db, def, ws, id);
  if (!row) throw notFound(def.label);
  const rows = await edb(db)
    .selectFrom('field_provenance')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('record_id', '=', id)
    .orderBy('field')
    .execute();
  return rows.map((p) => ({
    field: p.field,
    source: p.source,
    value: p.value,
    confidence: p.confidence,
    at: new Date(p.at).toISOString(),
    current: sameStoredValue(currentValue(def, row, p.field), p.value),
  }));
}
