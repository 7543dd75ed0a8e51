import type { ColumnType, Kysely } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;
type Generated<T> = ColumnType<T, T | undefined, T>;

/** The tables of migration 0018_scoring.sql. */
export interface ScoringModelsTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string;
  draft: Json<unknown>;
  published_version: number | null;
  computed_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface ScoringModelVersionsTable {
  model_id: string;
  version: number;
  workspace_id: string;
  definition: Json<unknown>;
  published_at: Timestamp;
  published_by: string;
}

export interface ContactScoresTable {
  workspace_id: string;
  model_id: string;
  contact_id: string;
  score: number;
  band: string;
  explanation: Json<unknown>;
  computed_at: Timestamp;
}

export interface ScoringQueueTable {
  id: Generated<string>;
  workspace_id: string;
  contact_id: string;
  /** Kinds of the new activity ('track:<event>', 'page', 'touchpoint', …); null: any change (migration 0029). */
  kinds: string[] | null;
  queued_at: Generated<Date>;
}

// A type alias, not an interface: withTables needs a type with an implicit index signature.
export type ScoringTables = {
  scoring_models: ScoringModelsTable;
  scoring_model_versions: ScoringModelVersionsTable;
  contact_scores: ContactScoresTable;
  scoring_queue: ScoringQueueTable;
};

/**
 * This module's tables on a handle or a transaction (a transaction stays that transaction). They
 * are declared here rather than in platform/db/schema.ts so the module is complete in its folder.
 */
export function sdb(db: DbOrTx): Kysely<DB & ScoringTables> {
  return (db as Kysely<DB>).withTables<ScoringTables>();
}
