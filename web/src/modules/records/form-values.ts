import { valueSchema } from '../../../../src/modules/crm/field-types.js';
import type { RecordInput } from '../../../../src/modules/crm/records.schema.js';
import { ApiError } from '../../lib/api.js';
import type { FieldErrors } from '../../lib/form.js';
import { isEmpty, valueOf, type FieldCatalog, type FieldInfo } from './fields.js';
import { minorToInput, parseMoney } from './money.js';
import type { CrmRecord, RecordKind } from './record-kinds.js';

/** What an input holds while someone types: text, a checkbox, or the chosen options. */
export type DraftValue = string | boolean | string[];
export type Draft = Record<string, DraftValue>;

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO instant as a datetime-local value in the browser's time zone. */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function toDraft(f: FieldInfo, value: unknown): DraftValue {
  switch (f.kind) {
    case 'boolean':
      return value === true;
    case 'multiselect':
      return Array.isArray(value) ? value.map(String) : [];
    case 'currency':
      return typeof value === 'number' ? minorToInput(value, f.currency) : '';
    case 'datetime':
      return typeof value === 'string' ? toLocalInput(value) : '';
    case 'number':
      return typeof value === 'number' ? String(value) : '';
    default:
      return typeof value === 'string' ? value : '';
  }
}

/** The fields a person edits in the form: core and custom, not the system timestamps. */
export function editableFields(catalog: FieldCatalog): FieldInfo[] {
  return [...catalog.core, ...catalog.custom];
}

export function draftOf(catalog: FieldCatalog, record: CrmRecord | null, initial: Record<string, unknown> = {}): Draft {
  const out: Draft = {};
  for (const f of editableFields(catalog)) out[f.key] = toDraft(f, record ? valueOf(record, f.key) : (initial[f.key] ?? null));
  return out;
}

type Converted = { value: unknown } | { error: string };

/** An input's text as the API value (null when empty), or why it cannot be one. */
export function fromDraft(f: FieldInfo, d: DraftValue | undefined): Converted {
  if (d === undefined) return { value: null };
  if (typeof d === 'boolean') return { value: d };
  if (Array.isArray(d)) return { value: d.length ? d : null };
  const s = d.trim();
  if (s === '') return { value: null };
  switch (f.kind) {
    case 'number': {
      const n = Number(s.replace(/[\s,_]/g, ''));
      return Number.isFinite(n) ? { value: n } : { error: `${f.label} must be a number` };
    }
    case 'currency': {
      const m = parseMoney(s, f.currency);
      return 'minor' in m ? { value: m.minor } : { error: m.error };
    }
    case 'datetime': {
      const t = new Date(s);
      return Number.isNaN(t.getTime()) ? { error: `${f.label} must be a date and time` } : { value: t.toISOString() };
    }
    default:
      return { value: d };
  }
}

function sameDraft(a: DraftValue | undefined, b: DraftValue | undefined): boolean {
  return JSON.stringify(a ?? '') === JSON.stringify(b ?? '');
}

export interface Checked {
  errors: FieldErrors;
  /** For create: every value given; for edit: only what changed (null clears). */
  payload: RecordInput;
  changed: string[];
}

/**
 * Checks a form with the API's own schemas: the object's create or update schema for core fields,
 * `valueSchema` for each custom field. On edit only changed fields are checked, so a value that
 * came from an import in an older format never blocks saving something else.
 */
export function checkDraft(kind: RecordKind, catalog: FieldCatalog, draft: Draft, base: Draft | null): Checked {
  const errors: FieldErrors = {};
  const core: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  const changed: string[] = [];
  for (const f of editableFields(catalog)) {
    const isChanged = base ? !sameDraft(draft[f.key], base[f.key]) : true;
    if (base && !isChanged) continue;
    const c = fromDraft(f, draft[f.key]);
    if ('error' in c) {
      errors[f.key] = c.error;
      continue;
    }
    // A checkbox left unticked on a new record says nothing; ticking and unticking on edit clears.
    const empty = isEmpty(c.value) || (!base && c.value === false && !f.required);
    if (empty && f.required) {
      errors[f.key] = `${f.label} is required`;
      continue;
    }
    if (base) changed.push(f.key);
    if (empty && !base) continue;
    const v = empty ? null : c.value;
    if (f.custom) {
      if (v !== null) {
        const r = valueSchema(f.custom).safeParse(v);
        if (!r.success) {
          errors[f.key] = r.error.issues[0]?.message ?? `${f.label} is not valid`;
          continue;
        }
        custom[f.custom.key] = r.data;
      } else custom[f.custom.key] = null;
    } else core[f.key] = v;
  }
  const schema = base ? kind.updateSchema : kind.createSchema;
  const parsed = schema.safeParse(core);
  const payload: RecordInput = {};
  if (parsed.success) Object.assign(payload, parsed.data);
  else
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      if (key && !errors[key]) errors[key] = issue.message;
    }
  if (Object.keys(custom).length) payload.custom = custom;
  return { errors, payload, changed };
}

/** One field's new value as a PATCH-shaped change (bulk "update a field"); empty clears it. */
export function checkOne(kind: RecordKind, f: FieldInfo, d: DraftValue): { set: Record<string, unknown> } | { error: string } {
  const c = fromDraft(f, d);
  if ('error' in c) return c;
  const v = isEmpty(c.value) ? null : c.value;
  if (v === null && f.required) return { error: `${f.label} is required, so it cannot be cleared` };
  if (f.custom) {
    if (v === null) return { set: { custom: { [f.custom.key]: null } } };
    const r = valueSchema(f.custom).safeParse(v);
    return r.success ? { set: { custom: { [f.custom.key]: r.data } } } : { error: r.error.issues[0]?.message ?? `${f.label} is not valid` };
  }
  const r = kind.updateSchema.safeParse({ [f.key]: v });
  if (r.success) return { set: r.data };
  return { error: r.error.issues[0]?.message ?? `${f.label} is not valid` };
}

/**
 * Field messages from a failed save. Paths look like `body.email`, `email`, `custom.score` or
 * `set.custom.score`; custom fields keep their `custom.<key>` form, which is how the form names them.
 */
export function serverFieldErrors(err: unknown, kind: RecordKind): FieldErrors {
  const out: FieldErrors = {};
  if (!(err instanceof ApiError)) return out;
  for (const e of err.problem.errors ?? []) {
    const parts = (e.path ?? '').replace(/^(body|set)\./, '').split('.');
    const key = parts[0] === 'custom' && parts[1] ? `custom.${parts[1]}` : (parts[0] ?? '');
    if (!key) continue;
    if (err.code === 'already_exists' && key === kind.def.naturalKey) {
      out[key] ??= `Another ${kind.noun} already has this ${key}`;
    } else out[key] ??= e.message;
  }
  return out;
}
