import type { ColumnType, Kysely } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

/** The tables of migration 0015_enrichment.sql. */
export interface EnrichmentProvidersTable {
  id: string;
  workspace_id: string;
  name: string;
  kind: 'offline' | 'http';
  config: Json<Record<string, unknown>>;
  enabled: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FieldProvenanceTable {
  workspace_id: string;
  object: 'contact' | 'account';
  record_id: string;
  field: string;
  source: string;
  value: Json<unknown>;
  confidence: number;
  at: Timestamp;
}

export interface AccountMatchesTable {
  workspace_id: string;
  contact_id: string;
  account_id: string;
  confidence: number;
  reason: string;
  status: 'suggested' | 'linked' | 'rejected';
  found_at: Timestamp;
  decided_by: string | null;
  decided_at: NullableTimestamp;
}

// A type alias, not an interface: withTables needs a type with an implicit index signature.
export type EnrichmentTables = {
  enrichment_providers: EnrichmentProvidersTable;
  field_provenance: FieldProvenanceTable;
  account_matches: AccountMatchesTable;
};

/**
 * This module's tables on a handle or a transaction (a transaction stays that transaction: Kysely's
 * Transaction.withTables returns a Transaction). They are declared here rather than in
 * platform/db/schema.ts so the module is complete in its own folder. Queries only: never open a
 * transaction on what this returns.
 */
export function edb(db: DbOrTx): Kysely<DB & EnrichmentTables> {
  return (db as Kysely<DB>).withTables<EnrichmentTables>();
}
