import type { FieldType, ObjectName } from './field-types.js';

/** A built-in field of a record: its API key, its column, its type and how people see it. */
export interface CoreField {
  key: string;
  column: string;
  type: FieldType;
  label: string;
  maxLength?: number;
  /** Values are ids of another object in the same workspace. */
  ref?: 'user' | 'account';
  /**
   * A `(workspace_id, column, id) WHERE deleted_at IS NULL` index exists (migration 0008), so a
   * list sorted by this field reads a page from it (records-query `pageQuery`).
   */
  sortIndex?: true;
}

export interface ObjectDef {
  object: ObjectName;
  /** The plural used in URLs, CLI commands and permission names. */
  plural: 'contacts' | 'accounts';
  table: 'contacts' | 'accounts';
  label: string;
  fields: readonly CoreField[];
  /** Fields a new record must have. */
  required: readonly string[];
  /** Whether records carry free-form `traits` (contacts do: tracking writes them). */
  hasTraits: boolean;
  /** The field an import matches on by default, and the natural unique key. */
  naturalKey: string;
}

const text = (key: string, column: string, label: string, maxLength = 500): CoreField => ({ key, column, type: 'text', label, maxLength });
const sorted = (f: CoreField): CoreField => ({ ...f, sortIndex: true });

export const contactDef: ObjectDef = {
  object: 'contact',
  plural: 'contacts',
  table: 'contacts',
  label: 'Contact',
  fields: [
    { key: 'email', column: 'email', type: 'email', label: 'Email' },
    sorted(text('firstName', 'first_name', 'First name', 200)),
    sorted(text('lastName', 'last_name', 'Last name', 200)),
    { key: 'phone', column: 'phone', type: 'phone', label: 'Phone' },
    text('title', 'title', 'Job title', 200),
    sorted(text('company', 'company', 'Company', 200)),
    sorted(text('country', 'country', 'Country', 100)),
    text('city', 'city', 'City', 100),
    text('lifecycleStage', 'lifecycle_stage', 'Lifecycle stage', 50),
    text('source', 'source', 'Source', 200),
    { key: 'ownerId', column: 'owner_id', type: 'text', label: 'Owner', ref: 'user' },
    { key: 'accountId', column: 'account_id', type: 'text', label: 'Account', ref: 'account' },
  ],
  required: ['email'],
  hasTraits: true,
  naturalKey: 'email',
};

export const accountDef: ObjectDef = {
  object: 'account',
  plural: 'accounts',
  table: 'accounts',
  label: 'Account',
  fields: [
    sorted(text('name', 'name', 'Name', 200)),
    text('domain', 'domain', 'Domain', 253),
    text('industry', 'industry', 'Industry', 100),
    text('size', 'size', 'Size', 50),
    { key: 'revenue', column: 'revenue', type: 'number', label: 'Annual revenue' },
    text('country', 'country', 'Country', 100),
    text('city', 'city', 'City', 100),
    { key: 'ownerId', column: 'owner_id', type: 'text', label: 'Owner', ref: 'user' },
  ],
  required: ['name'],
  hasTraits: false,
  naturalKey: 'domain',
};

export const objectDefs: Record<ObjectName, ObjectDef> = { contact: contactDef, account: accountDef };

export function coreField(def: ObjectDef, key: string): CoreField | undefined {
  return def.fields.find((f) => f.key === key);
}
