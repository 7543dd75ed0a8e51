import { touchpointFields } from '../../../../src/modules/segments/segments.schema.js';
import { buildDefinition, newGroup, NotVisual, rootFrom, type Catalogs, type GroupNode } from '../segments/definition.js';
import type { EngagementRule, FitRule, ModelDefinition } from './scoring-queries.js';

/**
 * The model editor's state: every number as the text typed, fit conditions as the segment
 * builder's tree; `toDefinition` turns it back into a definition, or lists what is unfinished.
 */
let seq = 0;
const key = () => `r${++seq}`;

export type TouchpointField = (typeof touchpointFields)[number];
export const touchpointOps = ['eq', 'neq', 'contains', 'starts_with'] as const;
export type TouchpointOp = (typeof touchpointOps)[number];

export interface FitDraft {
  key: string;
  name: string;
  points: string;
  root: GroupNode;
  /** A condition the builder cannot draw, kept as it was. */
  raw: unknown;
}

export interface EngagementDraft {
  key: string;
  name: string;
  kind: 'event' | 'page' | 'touchpoint';
  event: string;
  where: NonNullable<Extract<EngagementRule['on'], { event: string }>['where']>;
  url: string;
  tpField: TouchpointField;
  tpOp: TouchpointOp;
  tpValue: string;
  points: string;
  cap: string;
  windowDays: string;
  windowMax: string;
  halfLife: string;
  expire: string;
  /** The rule's own decay is set (else the model's applies). */
  ownDecay: boolean;
}

export interface BandDraft {
  key: string;
  name: string;
  min: string;
}

export interface ModelDraft {
  fit: FitDraft[];
  engagement: EngagementDraft[];
  bands: BandDraft[];
  otherwise: string;
  halfLife: string;
  expire: string;
}

const text = (n: number | undefined) => (n === undefined ? '' : String(n));

export function fitDraft(rule: FitRule | null, catalogs: Catalogs): FitDraft {
  if (!rule) return { key: key(), name: '', points: '10', root: newGroup('all'), raw: null };
  try {
    return { key: key(), name: rule.name, points: String(rule.points), root: rootFrom(rule.condition, catalogs), raw: null };
  } catch (err) {
    if (!(err instanceof NotVisual)) throw err;
    return { key: key(), name: rule.name, points: String(rule.points), root: newGroup('all'), raw: rule.condition };
  }
}

export function engagementDraft(rule: EngagementRule | null): EngagementDraft {
  const base: EngagementDraft = {
    key: key(),
    name: '',
    kind: 'event',
    event: '',
    where: [],
    url: '',
    tpField: 'source',
    tpOp: 'eq',
    tpValue: '',
    points: '5',
    cap: '',
    windowDays: '',
    windowMax: '',
    halfLife: '',
    expire: '',
    ownDecay: false,
  };
  if (!rule) return base;
  const d: EngagementDraft = {
    ...base,
    name: rule.name,
    points: String(rule.points),
    cap: text(rule.cap),
    windowDays: text(rule.window?.days),
    windowMax: text(rule.window?.max),
    halfLife: text(rule.decay?.halfLifeDays),
    expire: text(rule.decay?.expireDays),
    ownDecay: rule.decay !== undefined,
  };
  const on = rule.on;
  if ('event' in on) return { ...d, kind: 'event', event: on.event, where: on.where ?? [] };
  if ('page' in on) return { ...d, kind: 'page', url: on.page.url };
  const v = on.touchpoint.value;
  return {
    ...d,
    kind: 'touchpoint',
    tpField: on.touchpoint.field,
    tpOp: (touchpointOps as readonly string[]).includes(on.touchpoint.op) ? (on.touchpoint.op as TouchpointOp) : 'eq',
    tpValue: Array.isArray(v) ? v.join(', ') : (v ?? ''),
  };
}

export function modelDraft(d: ModelDefinition, catalogs: Catalogs): ModelDraft {
  return {
    fit: d.fit.map((r) => fitDraft(r, catalogs)),
    engagement: d.engagement.map(engagementDraft),
    bands: [...d.bands].sort((a, b) => b.min - a.min).map((b) => ({ key: key(), name: b.name, min: String(b.min) })),
    otherwise: d.otherwise,
    halfLife: text(d.decay?.halfLifeDays),
    expire: text(d.decay?.expireDays),
  };
}

export const newBand = (): BandDraft => ({ key: key(), name: '', min: '' });

/** Problems by rule key (or 'bands', 'model'), shown next to what they are about. */
export type DraftProblems = Map<string, string>;

function num(s: string): number | null {
  const n = Number(s.trim());
  return s.trim() !== '' && Number.isFinite(n) ? n : null;
}

export function toDefinition(
  m: ModelDraft,
  catalogs: Catalogs,
): { definition: ModelDefinition | null; problems: DraftProblems; conditionProblems: Map<string, string> } {
  const problems: DraftProblems = new Map();
  const conditionProblems = new Map<string, string>();
  const positive = (s: string, what: string, k: string): number | undefined => {
    if (!s.trim()) return undefined;
    const n = num(s);
    if (n === null || n <= 0) problems.set(k, `${what} must be a number above 0`);
    return n ?? undefined;
  };
  const days = (s: string, what: string, k: string): number | undefined => {
    const n = positive(s, what, k);
    if (n !== undefined && !Number.isInteger(n)) problems.set(k, `${what} must be whole days`);
    return n;
  };
  const fit = m.fit.map((f) => {
    if (!f.name.trim()) problems.set(f.key, 'Give the rule a name');
    const points = num(f.points);
    if (points === null) problems.set(f.key, 'Points must be a number');
    let condition: unknown = f.raw;
    if (f.raw === null) {
      if (f.root.children.length === 0) problems.set(f.key, 'Add a condition');
      const built = buildDefinition(f.root, catalogs);
      for (const [id, msg] of built.problems) conditionProblems.set(id, msg);
      if (built.problems.size) problems.set(f.key, 'Finish the condition');
      condition = built.definition;
    }
    return { name: f.name.trim(), condition, points: points ?? 0 } as FitRule;
  });
  const engagement = m.engagement.map((e): EngagementRule => {
    if (!e.name.trim()) problems.set(e.key, 'Give the rule a name');
    const points = num(e.points);
    if (points === null) problems.set(e.key, 'Points must be a number');
    let on: EngagementRule['on'];
    if (e.kind === 'event') {
      if (!e.event.trim()) problems.set(e.key, 'Enter the event name');
      on = { event: e.event.trim(), ...(e.where.length && { where: e.where }) };
    } else if (e.kind === 'page') {
      if (!e.url.trim()) problems.set(e.key, 'Enter a URL or a pattern such as */pricing*');
      on = { page: { url: e.url.trim() } };
    } else {
      if (!e.tpValue.trim()) problems.set(e.key, 'Enter a value');
      on = { touchpoint: { field: e.tpField, op: e.tpOp, value: e.tpValue.trim() } };
    }
    const cap = positive(e.cap, 'The cap', e.key);
    const wd = days(e.windowDays, 'The window', e.key);
    const wm = positive(e.windowMax, 'The window cap', e.key);
    if ((wd === undefined) !== (wm === undefined)) problems.set(e.key, 'A window cap needs both its days and its points');
    const half = days(e.halfLife, 'The half-life', e.key);
    const expire = days(e.expire, 'Expiry', e.key);
    return {
      name: e.name.trim(),
      on,
      points: points ?? 0,
      ...(cap !== undefined && { cap }),
      ...(wd !== undefined && wm !== undefined && { window: { days: wd, max: wm } }),
      ...(e.ownDecay && {
        decay: { ...(half !== undefined && { halfLifeDays: half }), ...(expire !== undefined && { expireDays: expire }) },
      }),
    };
  });
  const bands = m.bands.map((b) => {
    const min = num(b.min);
    if (!b.name.trim() || min === null) problems.set('bands', 'Each band needs a name and a minimum score');
    return { name: b.name.trim(), min: min ?? 0 };
  });
  if (!m.otherwise.trim()) problems.set('bands', 'Name the band below all others');
  const half = days(m.halfLife, 'The half-life', 'model');
  const expire = days(m.expire, 'Expiry', 'model');
  const definition: ModelDefinition = {
    fit,
    engagement,
    bands,
    otherwise: m.otherwise.trim(),
    ...((half !== undefined || expire !== undefined) && {
      decay: { ...(half !== undefined && { halfLifeDays: half }), ...(expire !== undefined && { expireDays: expire }) },
    }),
  };
  return { definition: problems.size ? null : definition, problems, conditionProblems };
}
