import type { ColumnType, Kysely } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import type { RoutingLogKind } from './routing.schema.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;
type Generated<T> = ColumnType<T, T | undefined, T>;

/** The tables of migration 0019_lifecycle_routing.sql. */
export interface LifecycleSettingsTable {
  workspace_id: string;
  stages: Json<Array<{ key: string; label: string }>>;
  allowed: Json<Array<{ from: string; to: string }>>;
  route_on: Json<string[]>;
  updated_at: Timestamp;
}

export interface LifecycleRulesTable {
  id: string;
  workspace_id: string;
  position: number;
  name: string;
  to_stage: string;
  from_stages: NullableJson<string[]>;
  trigger: Json<unknown>;
  enabled: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LifecycleHistoryTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  from_stage: string | null;
  to_stage: string;
  reason: string;
  rule_id: string | null;
  actor: string;
  at: Timestamp;
}

export interface LifecycleQueueTable {
  id: Generated<string>;
  workspace_id: string;
  contact_id: string;
  queued_at: Generated<Date>;
}

export interface RoutingSettingsTable {
  workspace_id: string;
  fallback_queue: string;
  reject_reasons: Json<string[]>;
  updated_at: Timestamp;
}

export interface RoutingRepsTable {
  workspace_id: string;
  user_id: string;
  weight: number;
  capacity: number | null;
  working_hours: NullableJson<Record<string, Array<[string, string]>>>;
  time_zone: string;
  available: boolean;
  updated_at: Timestamp;
}

export interface RoutingRulesTable {
  id: string;
  workspace_id: string;
  position: number;
  name: string;
  condition: NullableJson<unknown>;
  action: Json<unknown>;
  enabled: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RoutingRrStateTable {
  workspace_id: string;
  pool: string;
  user_id: string;
  current: ColumnType<string, number | string, number | string>;
}

export interface LeadAssignmentsTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  owner_id: string | null;
  queue: string | null;
  rule_id: string | null;
  status: 'open' | 'accepted' | 'rejected' | 'released';
  assigned_at: Timestamp;
  accepted_at: NullableTimestamp;
  rejected_at: NullableTimestamp;
  reject_reason: string | null;
  released_at: NullableTimestamp;
  /** Migration 0020: the lead's lifecycle stage when it was assigned. */
  stage: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface RoutingLogTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  rule_id: string | null;
  assigned_to: string | null;
  queue: string | null;
  reason: string;
  skipped: Json<unknown[]>;
  at: Timestamp;
  /** Migration 0025: what the entry records (set by every writer). */
  kind: RoutingLogKind;
}

export interface RoutingQueueTable {
  id: Generated<string>;
  workspace_id: string;
  contact_id: string;
  cause: string;
  rep_id: string | null;
  queued_at: Generated<Date>;
}

/** The tables of migration 0020_routing_sla.sql. */
export interface RoutingSlaSettingsTable {
  workspace_id: string;
  settings: Json<unknown>;
  updated_at: Timestamp;
}

export interface RoutingSlaEventsTable {
  id: string;
  workspace_id: string;
  assignment_id: string;
  contact_id: string;
  kind: 'reminder' | 'escalation';
  recipient_id: string | null;
  stage: string;
  due_at: Timestamp;
  at: Timestamp;
}

// A type alias, not an interface: withTables needs a type with an implicit index signature.
export type RoutingTables = {
  lifecycle_settings: LifecycleSettingsTable;
  lifecycle_rules: LifecycleRulesTable;
  lifecycle_history: LifecycleHistoryTable;
  lifecycle_queue: LifecycleQueueTable;
  routing_settings: RoutingSettingsTable;
  routing_reps: RoutingRepsTable;
  routing_rules: RoutingRulesTable;
  routing_rr_state: RoutingRrStateTable;
  lead_assignments: LeadAssignmentsTable;
  routing_log: RoutingLogTable;
  routing_queue: RoutingQueueTable;
  routing_sla_settings: RoutingSlaSettingsTable;
  routing_sla_events: RoutingSlaEventsTable;
};

/**
 * This module's tables on a handle or a transaction (a transaction stays that transaction). They
 * are declared here rather than in platform/db/schema.ts so the module is complete in its own
 * folder. Queries only: never open a transaction on what this returns.
 */
export function rdb(db: DbOrTx): Kysely<DB & RoutingTables> {
  return (db as Kysely<DB>).withTables<RoutingTables>();
}
