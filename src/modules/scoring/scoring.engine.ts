import { sql, type RawBuilder } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { propertySql, touchpointTest, wildcardToLike } from '../segments/segments.compiler.js';
import { compileSegment } from '../segments/segments.membership.js';
import type { SegmentNode } from '../segments/segments.schema.js';
import type { Decay, EngagementRule, ExplanationLine, FitRule, ModelDefinition, RuleProblem } from './scoring.schema.js';

/**
 * The scoring engine: one model version, compiled once per run, scored over a set of contacts.
 * The full recompute, the incremental queue and the draft preview all go through `scoreContacts`,
 * so an incremental update gives exactly what a full recompute would.
 *
 * Points, per engagement rule and contact (every step in SQL, aggregated per contact and rule):
 * 1. each matching occurrence (event, page visit, touchpoint) gives the rule's points; occurrences
 *    older than the rule's `expireDays` count for nothing and are not listed;
 * 2. the window cap keeps at most `window.max` points per period of `window.days` days (periods
 *    counted from 1970-01-01 UTC), the newest occurrences first;
 * 3. the rule cap keeps at most `cap` points in all, again the newest first;
 * 4. decay halves what each occurrence kept every `halfLifeDays` days of its age.
 * Caps bound the absolute value: a negative rule with cap 20 takes at most 20 points away.
 * The explanation lists the occurrences with their full points, then each cap and the decay as a
 * line of its own, so its points add up to the score exactly (in hundredths, see `cents`).
 */
export interface CompiledFitRule {
  rule: FitRule;
  cond: RawBuilder<unknown> | null;
}

export interface CompiledEngagementRule {
  rule: EngagementRule;
  decay: Decay;
  /** `ids` null: every contact of the workspace (the full recompute's single pass). */
  match: ((ws: string, ids: readonly string[] | null) => RawBuilder<unknown>) | null;
}

export interface CompiledModel {
  definition: ModelDefinition;
  now: Date;
  fit: CompiledFitRule[];
  engagement: CompiledEngagementRule[];
  problems: RuleProblem[];
  /**
   * Kinds of activity the model reads, as the scoring queue records them (migration 0029):
   * 'track:<event>', 'page', 'touchpoint'; '*' when a fit condition reads activity of any kind.
   */
  reads: Set<string>;
}

export interface ScoredContact {
  contactId: string;
  score: number;
  band: string;
  explanation: ExplanationLine[];
}

const DAY = 86_400_000;
/** Occurrences listed one by one per rule; older ones share one line. */
export const LISTED_OCCURRENCES = 10;

function whyBroken(err: unknown): string {
  if (err instanceof AppError && err.status === 400) return err.message;
  throw err;
}

/** The SQL selecting (contact_id, rule, ts, oid) for one engagement rule's occurrences. */
function matchSql(
  rule: EngagementRule,
  index: number,
  decay: Decay,
  now: Date,
  asOf: boolean,
): (ws: string, ids: readonly string[] | null) => RawBuilder<unknown> {
  const on = rule.on;
  const ts = 'touchpoint' in on ? sql`t.ts` : sql`e.ts`;
  const expire = sql`${decay.expireDays ? sql`and ${ts} > ${new Date(now.getTime() - decay.expireDays * DAY)}` : sql``} ${
    asOf ? sql`and ${ts} < ${now}` : sql``
  }`;
  // For given contacts the occurrences come from the chunk's activity, read once (`chunkActivity`).
  if ('touchpoint' in on) {
    const test = touchpointTest(on.touchpoint);
    return (ws, ids) =>
      ids
        ? sql`select t.contact_id, ${index}::int as rule, t.ts, t.id::text as oid from chunk_tp t where ${test} ${expire}`
        : sql`select p.contact_id, ${index}::int as rule, t.ts, t.id::text as oid
          from touchpoints t join profiles p on p.id = t.profile_id
          where t.workspace_id = ${ws} and p.contact_id is not null and ${test} ${expire}`;
  }
  const conds = sql.join(
    'page' in on
      ? [sql`e.type = 'page'`, sql`coalesce(e.properties->>'url', e.context->'page'->>'url') ilike ${wildcardToLike(on.page.url)}`]
      : [sql`e.type = 'track'`, sql`e.event = ${on.event}`, ...(on.where ?? []).map(propertySql)],
    sql` and `,
  );
  return (ws, ids) =>
    ids
      ? sql`select e.contact_id, ${index}::int as rule, e.ts, e.id::text as oid from chunk_ev e where ${conds} ${expire}`
      : sql`select p.contact_id, ${index}::int as rule, e.ts, e.id::text as oid
        from events e join profiles p on p.id = e.profile_id
        where e.workspace_id = ${ws} and p.contact_id is not null and ${conds} ${expire}`;
}

/**
 * The activity of the given contacts, read once through their profiles' indexes (`events_profile_idx`,
 * `touchpoints_profile_idx`) as CTEs `chunk_ev` and `chunk_tp` that every rule's match then filters.
 * Joining `events` to the profiles of a few thousand contacts instead made PostgreSQL hash-join
 * every event of the rule's kind in the workspace, once per rule: seconds per queue pass whatever
 * its size. Activity older than every rule's expiry is not read.
 */
function chunkActivity(ws: string, m: CompiledModel, ids: readonly string[]): RawBuilder<unknown> {
  const live = m.engagement.filter((r) => r.match !== null);
  const cutoff = (rs: CompiledEngagementRule[]) => {
    const days = rs.map((r) => r.decay.expireDays);
    if (days.length === 0 || days.some((d) => !d)) return null;
    return new Date(m.now.getTime() - Math.max(...days.map(Number)) * DAY);
  };
  const onEvents = live.filter((r) => !('touchpoint' in r.rule.on));
  const onTouchpoints = live.filter((r) => 'touchpoint' in r.rule.on);
  const evCut = cutoff(onEvents);
  const tpCut = cutoff(onTouchpoints);
  return sql`chunk_pr as materialized (
      select p.id, p.contact_id from profiles p
      where p.workspace_id = ${ws} and p.contact_id = any(${[...ids]}::uuid[])),
    chunk_ev as materialized (
      select e.id, e.ts, e.type, e.event, e.properties, e.context, pr.contact_id
      from events e join chunk_pr pr on pr.id = e.profile_id
      where ${onEvents.length > 0 ? sql`true` : sql`false`}
        and e.profile_id = any(array(select id from chunk_pr)) and e.workspace_id = ${ws}
        ${evCut ? sql`and e.ts > ${evCut}` : sql``}),
    chunk_tp as materialized (
      select t.*, pr.contact_id from touchpoints t join chunk_pr pr on pr.id = t.profile_id
      where ${onTouchpoints.length > 0 ? sql`true` : sql`false`}
        and t.profile_id = any(array(select id from chunk_pr)) and t.workspace_id = ${ws}
        ${tpCut ? sql`and t.ts > ${tpCut}` : sql``}),`;
}

/**
 * Compiles a model version at `now`. A rule that no longer compiles (a field it tests was deleted,
 * a segment it reads is gone) is reported in `problems` and gives 0 points; it never fails the run.
 * `asOf` (evaluation and what-if over past dates): activity at or after `now` counts for nothing,
 * so the score is the one the contact had at `now` as far as its activity goes (fit rules still
 * read the contact's fields as they are today: field history is not kept).
 */
export async function compileModel(
  db: DbOrTx,
  ws: string,
  now: Date,
  definition: ModelDefinition,
  opts: { asOf?: boolean } = {},
): Promise<CompiledModel> {
  const problems: RuleProblem[] = [];
  const fit: CompiledFitRule[] = [];
  const reads = new Set<string>();
  for (const rule of definition.fit) {
    try {
      const c = await compileSegment(db, ws, now, rule.condition as SegmentNode, undefined, { asOf: opts.asOf ?? false });
      for (const k of c.reads) reads.add(k);
      fit.push({ rule, cond: c.cond });
    } catch (err) {
      problems.push({ kind: 'fit', rule: rule.name, message: whyBroken(err) });
      fit.push({ rule, cond: null });
    }
  }
  const engagement: CompiledEngagementRule[] = [];
  definition.engagement.forEach((rule, i) => {
    const decay = rule.decay ?? definition.decay ?? {};
    try {
      engagement.push({ rule, decay, match: matchSql(rule, i, decay, now, opts.asOf ?? false) });
      const on = rule.on;
      reads.add('touchpoint' in on ? 'touchpoint' : 'page' in on ? 'page' : `track:${on.event}`);
    } catch (err) {
      problems.push({ kind: 'engagement', rule: rule.name, message: whyBroken(err) });
      engagement.push({ rule, decay, match: null });
    }
  });
  return { definition, now, fit, engagement, problems, reads };
}

/** Hundredths of a point, the unit every line is rounded to so that lines and score agree exactly. */
const cents = (x: number) => Math.round(x * 100);
const points = (c: number) => c / 100 + 0; // `+ 0` turns -0 into 0

export function bandFor(definition: ModelDefinition, score: number): string {
  const sorted = [...definition.bands].sort((a, b) => b.min - a.min);
  return sorted.find((b) => score >= b.min)?.name ?? definition.otherwise;
}

export interface RuleAggregate {
  contact_id: string;
  rule: number;
  n: number;
  kept_w: number;
  kept_c: number;
  decayed: number;
  recent: number[];
}

/**
 * The query of `engagementAggregates`, for the given contacts or (`ids` null) every contact of the
 * workspace in one pass (the full recompute stores it in a temporary table); null when the model has
 * no engagement rule that compiles.
 */
export function engagementAggregatesSql(ws: string, m: CompiledModel, ids: readonly string[] | null): RawBuilder<RuleAggregate> | null {
  const live = m.engagement.map((r, i) => ({ ...r, i })).filter((r) => r.match !== null);
  if (live.length === 0) return null;
  const rules = sql.join(
    live.map(
      (r) =>
        sql`(${r.i}::int, ${Math.abs(r.rule.points)}::float8, ${r.rule.cap ?? null}::float8, ${r.rule.window ? r.rule.window.days * 86_400 : null}::float8, ${r.rule.window?.max ?? null}::float8, ${r.decay.halfLifeDays ?? null}::float8)`,
    ),
  );
  const occ = sql.join(
    live.map((r) => (r.match as NonNullable<typeof r.match>)(ws, ids)),
    sql` union all `,
  );
  // Hand-written: window functions rank each rule's occurrences newest first, within the window
  // period (for the window cap) and overall (for the cap); then one aggregate per contact and rule.
  // The rule's constants are joined once and carried along (joining `rules` again at each step
  // made PostgreSQL nest-loop every occurrence against every rule, three times).
  return sql<RuleAggregate>`
    with ${ids ? chunkActivity(ws, m, ids) : sql``} rules(rule, pts, cap, wsecs, wmax, half) as (values ${rules}),
    occ as (${occ}),
    w as (
      select o.contact_id, o.rule, o.ts, o.oid, r.pts, r.cap, r.wmax, r.half,
        row_number() over (
          partition by o.contact_id, o.rule,
            case when r.wsecs is null then 0 else floor(extract(epoch from o.ts)::float8 / r.wsecs) end
          order by o.ts desc, o.oid desc) as kw
      from occ o join rules r on r.rule = o.rule
    ),
    a as (
      select w.*, case when w.wmax is null then w.pts
                       else least(w.kw * w.pts, w.wmax) - least((w.kw - 1) * w.pts, w.wmax) end as aw
      from w
    ),
    c as (
      select a.*, sum(a.aw) over (partition by a.contact_id, a.rule order by a.ts desc, a.oid desc rows unbounded preceding) as run
      from a
    ),
    d as (
      select c.contact_id, c.rule, c.ts, c.oid, c.aw,
        case when c.cap is null then c.aw else least(c.run, c.cap) - least(c.run - c.aw, c.cap) end as ac,
        case when c.half is null then 1::float8
             else power(0.5::float8, greatest(0::float8, extract(epoch from (${m.now}::timestamptz - c.ts))::float8) / (c.half * 86400)) end as f
      from c
    )
    select contact_id, rule, count(*)::int as n, sum(aw)::float8 as kept_w, sum(ac)::float8 as kept_c,
      sum(ac * f)::float8 as decayed,
      to_jsonb((array_agg((extract(epoch from ts) * 1000)::float8 order by ts desc, oid desc))[1:${LISTED_OCCURRENCES + 1}]) as recent
    from d group by contact_id, rule`;
}

/** Rows of the aggregates query as numbers (pg returns float8 as numbers, PGlite jsonb sometimes as text). */
export function readAggregates(rows: readonly RuleAggregate[]): RuleAggregate[] {
  return rows.map((r) => ({
    ...r,
    n: Number(r.n),
    kept_w: Number(r.kept_w),
    kept_c: Number(r.kept_c),
    decayed: Number(r.decayed),
    recent: (typeof r.recent === 'string' ? (JSON.parse(r.recent) as number[]) : r.recent).map(Number),
  }));
}

/** Per contact and engagement rule: occurrences, what the window cap and the cap kept, and what decay left. */
async function engagementAggregates(db: DbOrTx, ws: string, m: CompiledModel, ids: readonly string[]): Promise<RuleAggregate[]> {
  const q = ids.length === 0 ? null : engagementAggregatesSql(ws, m, ids);
  return q ? readAggregates((await q.execute(db)).rows) : [];
}

/** One line in hundredths (the unit), turned into points when the explanation is built. */
interface Line {
  rule: string;
  c: number;
  at: string | null;
}

function decayLabel(d: Decay): string {
  return `half-life ${d.halfLifeDays} days`;
}

function engagementLines(r: CompiledEngagementRule, a: RuleAggregate): Line[] {
  const sign = r.rule.points < 0 ? -1 : 1;
  const per = cents(Math.abs(r.rule.points));
  const name = r.rule.name;
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const lines: Line[] = [];
  const listed = Math.min(a.n, LISTED_OCCURRENCES);
  for (let k = 0; k < listed; k++) lines.push({ rule: name, c: sign * per, at: iso(a.recent[k]) });
  if (a.n > listed) lines.push({ rule: `${name} (${a.n - listed} earlier)`, c: sign * per * (a.n - listed), at: iso(a.recent[listed]) });
  // Each step in magnitude hundredths; its cut is the difference to the step before.
  const raw = per * a.n;
  const keptW = Math.min(raw, cents(a.kept_w));
  const keptC = Math.min(keptW, cents(a.kept_c));
  // Without a half-life nothing decays: the kept points stand as they are.
  const final = r.decay.halfLifeDays ? Math.min(keptC, cents(a.decayed)) : keptC;
  if (raw - keptW > 0 && r.rule.window) {
    lines.push({
      rule: `cap: ${name} (max ${r.rule.window.max} per ${r.rule.window.days === 1 ? 'day' : `${r.rule.window.days} days`})`,
      c: -sign * (raw - keptW),
      at: null,
    });
  }
  if (keptW - keptC > 0) lines.push({ rule: `cap: ${name} (max ${r.rule.cap ?? 0})`, c: -sign * (keptW - keptC), at: null });
  if (keptC - final !== 0) {
    lines.push({ rule: `decay: ${name} (${decayLabel(r.decay)})`, c: -sign * (keptC - final), at: null });
  }
  return lines;
}

/**
 * Scores the given contacts (those live in the workspace; others are left out) with a compiled
 * model: one query for the fit rules, one for the engagement rules. `aggregates`, when given,
 * supplies the engagement aggregates of these contacts instead (the full recompute reads them from
 * the one pass it made over the workspace's activity; same query, so the same scores).
 */
export async function scoreContacts(
  db: DbOrTx,
  ws: string,
  m: CompiledModel,
  ids: readonly string[],
  aggregates?: (ids: readonly string[]) => Promise<RuleAggregate[]>,
): Promise<ScoredContact[]> {
  if (ids.length === 0) return [];
  const fitCols = m.fit.map((f, i) =>
    f.cond ? sql`coalesce(${f.cond}, false) as ${sql.ref(`f${i}`)}` : sql`false as ${sql.ref(`f${i}`)}`,
  );
  const contacts = await sql<Record<string, unknown> & { id: string }>`
    select r.id ${fitCols.length ? sql`, ${sql.join(fitCols)}` : sql``}
    from contacts r
    where r.workspace_id = ${ws} and r.deleted_at is null and r.id = any(${[...ids]}::uuid[])
    order by r.id`.execute(db);
  const byContact = new Map<string, RuleAggregate[]>();
  for (const a of await (aggregates ? aggregates(ids) : engagementAggregates(db, ws, m, ids))) {
    byContact.set(a.contact_id, [...(byContact.get(a.contact_id) ?? []), a]);
  }
  return contacts.rows.map((row) => {
    const lines: Line[] = [];
    m.fit.forEach((f, i) => {
      if (row[`f${i}`] === true && f.cond) lines.push({ rule: f.rule.name, c: cents(f.rule.points), at: null });
    });
    const aggs = (byContact.get(row.id) ?? []).sort((x, y) => x.rule - y.rule);
    for (const a of aggs) {
      const r = m.engagement[a.rule];
      if (r) lines.push(...engagementLines(r, a));
    }
    const total = lines.reduce((s, l) => s + l.c, 0);
    const score = points(total);
    return {
      contactId: row.id,
      score,
      band: bandFor(m.definition, score),
      explanation: lines.map((l) => ({ rule: l.rule, points: points(l.c), at: l.at })),
    };
  });
}
