import type { z } from 'zod';
import { accountDef, contactDef, type ObjectDef } from '../../../../src/modules/crm/crm-objects.js';
import type { ObjectName } from '../../../../src/modules/crm/field-types.js';
import {
  accountSchema,
  contactSchema,
  createAccountSchema,
  createContactSchema,
  updateAccountSchema,
  updateContactSchema,
  type RecordView,
} from '../../../../src/modules/crm/records.schema.js';

/** A contact or an account as the API returns it: its fields by key, custom values, ids, version. */
export type CrmRecord = RecordView & { createdAt: string; updatedAt: string; deletedAt: string | null };

/**
 * The API's own record schema, typed as what it checks: outputSchema builds its shape from the
 * object's field list at run time, so TypeScript cannot see the field keys in its inferred type.
 */
function recordSchema(s: typeof contactSchema): z.ZodType<CrmRecord> {
  return s as unknown as z.ZodType<CrmRecord>;
}

export interface FieldGroup {
  title: string;
  /** Field keys: core keys, and the markers `custom` (every custom field) and `system` (created/updated). */
  keys: readonly string[];
}

/**
 * Everything the shared list, record and form screens need to know about one object. Contacts and
 * accounts differ only here; the screens themselves are the same code.
 */
export interface RecordKind {
  def: ObjectDef;
  object: ObjectName;
  plural: 'contacts' | 'accounts';
  /** "contact", "Contact", "Contacts". */
  noun: string;
  Noun: string;
  title: string;
  listPath: '/contacts' | '/accounts';
  recordPath: '/contacts/$id' | '/accounts/$id';
  schema: z.ZodType<CrmRecord>;
  createSchema: z.ZodType<Record<string, unknown>>;
  updateSchema: z.ZodType<Record<string, unknown>>;
  /** The field the name column sorts by. */
  nameSortKey: string;
  defaultColumns: readonly string[];
  /** Groups on the record page and in the form, in order. */
  groups: readonly FieldGroup[];
  searchPlaceholder: string;
  description: string;
  /** The person-readable name of a record, and the line under it. */
  displayName: (r: CrmRecord) => string;
  subtitle: (r: CrmRecord) => string | null;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export const contactKind: RecordKind = {
  def: contactDef,
  object: 'contact',
  plural: 'contacts',
  noun: 'contact',
  Noun: 'Contact',
  title: 'Contacts',
  listPath: '/contacts',
  recordPath: '/contacts/$id',
  schema: recordSchema(contactSchema),
  createSchema: createContactSchema,
  updateSchema: updateContactSchema,
  nameSortKey: 'firstName',
  defaultColumns: ['company', 'title', 'lifecycleStage', 'ownerId', 'createdAt'],
  groups: [
    { title: 'Contact info', keys: ['email', 'firstName', 'lastName', 'phone'] },
    { title: 'Company', keys: ['company', 'title', 'accountId', 'country', 'city'] },
    { title: 'Ownership & lifecycle', keys: ['ownerId', 'lifecycleStage', 'source', 'system'] },
    { title: 'Custom fields', keys: ['custom'] },
  ],
  searchPlaceholder: 'Search name, email or company',
  description: 'People you market to: their details, owner, lifecycle stage and history.',
  displayName: (r) => [str(r.firstName), str(r.lastName)].filter(Boolean).join(' ') || str(r.email) || 'Unnamed contact',
  subtitle: (r) => {
    const name = [str(r.firstName), str(r.lastName)].filter(Boolean).join(' ');
    return name ? str(r.email) || null : null;
  },
};

export const accountKind: RecordKind = {
  def: accountDef,
  object: 'account',
  plural: 'accounts',
  noun: 'account',
  Noun: 'Account',
  title: 'Accounts',
  listPath: '/accounts',
  recordPath: '/accounts/$id',
  schema: recordSchema(accountSchema),
  createSchema: createAccountSchema,
  updateSchema: updateAccountSchema,
  nameSortKey: 'name',
  defaultColumns: ['industry', 'size', 'country', 'ownerId', 'createdAt'],
  groups: [
    { title: 'Company', keys: ['name', 'domain', 'industry', 'size', 'revenue'] },
    { title: 'Location', keys: ['country', 'city'] },
    { title: 'Ownership', keys: ['ownerId', 'system'] },
    { title: 'Custom fields', keys: ['custom'] },
  ],
  searchPlaceholder: 'Search name or domain',
  description: 'Companies you sell to, with their people, owner and history.',
  displayName: (r) => str(r.name) || str(r.domain) || 'Unnamed account',
  subtitle: (r) => (str(r.name) ? str(r.domain) || null : null),
};

export const recordKinds: Record<ObjectName, RecordKind> = { contact: contactKind, account: accountKind };
