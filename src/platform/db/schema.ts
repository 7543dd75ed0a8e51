import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export interface WorkspacesTable {
  id: string;
  slug: string;
  name: string;
  created_at: Timestamp;
}

export interface UsersTable {
  id: string;
  workspace_id: string;
  email: string;
  name: string;
  password_hash: string;
  role: string;
  disabled_at: NullableTimestamp;
  last_login_at: NullableTimestamp;
  password_changed_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  workspace_id: string;
  csrf_token: string;
  ip: string | null;
  user_agent: string | null;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
}

export interface ApiKeysTable {
  id: string;
  workspace_id: string;
  name: string;
  role: string;
  prefix: string;
  key_hash: string;
  created_by: string | null;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface AuditLogTable {
  id: string;
  workspace_id: string;
  occurred_at: Timestamp;
  actor_type: string;
  actor_id: string | null;
  actor_label: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  changes: Json<Record<string, unknown>>;
  ip: string | null;
  request_id: string | null;
}

export interface IdempotencyKeysTable {
  workspace_id: string;
  key: string;
  actor_id: string;
  method: string;
  path: string;
  status: number;
  body: Json<unknown> | null;
  created_at: Timestamp;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: Generated<Date>;
}

export interface JobKeysTable {
  queue: string;
  key: string;
  job_id: string;
  created_at: Generated<Date>;
}

type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;

export interface CustomFieldsTable {
  id: string;
  workspace_id: string;
  object: string;
  key: string;
  label: string;
  type: string;
  options: Json<string[]>;
  currency: string | null;
  description: string;
  required: boolean;
  indexed: boolean;
  position: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface ContactsTable {
  id: string;
  workspace_id: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  title: string | null;
  company: string | null;
  country: string | null;
  city: string | null;
  lifecycle_stage: string | null;
  source: string | null;
  owner_id: string | null;
  account_id: string | null;
  traits: Json<Record<string, unknown>>;
  custom: Json<Record<string, unknown>>;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface AccountsTable {
  id: string;
  workspace_id: string;
  name: string;
  domain: string | null;
  industry: string | null;
  size: string | null;
  revenue: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  country: string | null;
  city: string | null;
  owner_id: string | null;
  custom: Json<Record<string, unknown>>;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface ExternalIdsTable {
  workspace_id: string;
  object: string;
  key: string;
  value: string;
  record_id: string;
}

export interface AccountContactsTable {
  workspace_id: string;
  account_id: string;
  contact_id: string;
  role: string;
  created_at: Timestamp;
}

export interface SavedViewsTable {
  id: string;
  workspace_id: string;
  object: string;
  name: string;
  config: Json<Record<string, unknown>>;
  owner_id: string | null;
  shared: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ImportMappingsTable {
  id: string;
  workspace_id: string;
  object: string;
  name: string;
  mapping: Json<Record<string, string | null>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

type Count = ColumnType<string, number | string | undefined, number | string>;

export interface ImportsTable {
  id: string;
  workspace_id: string;
  object: string;
  status: string;
  file_name: string;
  file_path: string;
  file_size: Count;
  file_hash: string;
  encoding: string;
  bom_length: ColumnType<number, number | undefined, number>;
  delimiter: string;
  headers: Json<string[]>;
  sample: Json<string[][]>;
  mapping: Json<Array<string | null>>;
  mode: string;
  match_key: string;
  date_format: string;
  dry_run: NullableJson<Record<string, unknown>>;
  rows_done: Count;
  bytes_done: Count;
  created_count: Count;
  updated_count: Count;
  skipped_count: Count;
  error_count: Count;
  error_bytes: Count;
  error_file: string | null;
  failure: string | null;
  actor_label: string;
  actor_id: string | null;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  duration_ms: ColumnType<string | null, number | null | undefined, number | null>;
  undone_at: NullableTimestamp;
  undo_result: NullableJson<Record<string, unknown>>;
  heartbeat_at: NullableTimestamp;
  files_removed_at: NullableTimestamp;
}

export interface ImportChangesTable {
  import_id: string;
  record_id: string;
  op: string;
  before: NullableJson<Record<string, unknown>>;
  after_version: number;
}

export interface BulkOperationsTable {
  id: string;
  workspace_id: string;
  object: string;
  action: string;
  params: Json<Record<string, unknown>>;
  record_ids: Json<string[]>;
  status: string;
  total: number;
  done: ColumnType<number, number | undefined, number>;
  changed: ColumnType<number, number | undefined, number>;
  failure: string | null;
  actor_label: string;
  actor_id: string | null;
  actor_type: string;
  created_at: Timestamp;
  finished_at: NullableTimestamp;
}

export interface SourcesTable {
  id: string;
  workspace_id: string;
  name: string;
  kind: string;
  retention_days: number | null;
  excluded_ips: Generated<string[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface ChannelRulesTable {
  workspace_id: string;
  rules: Json<unknown>;
  updated_at: Timestamp;
}

export interface SourceKeysTable {
  id: string;
  workspace_id: string;
  source_id: string;
  prefix: string;
  key_hash: string;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface ProfilesTable {
  id: string;
  workspace_id: string;
  contact_id: string | null;
  merged_into: string | null;
  traits: Json<Record<string, unknown>>;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
}

export interface IdentitiesTable {
  workspace_id: string;
  kind: string;
  value: string;
  profile_id: string;
  first_seen_at: Timestamp;
}

export interface ProfileMergesTable {
  id: string;
  workspace_id: string;
  from_profile: string;
  into_profile: string;
  reason: string;
  message_id: string | null;
  merged_at: Timestamp;
}

export interface EventIdsTable {
  workspace_id: string;
  message_id: string;
}

export interface EventsTable {
  id: string;
  workspace_id: string;
  source_id: string;
  profile_id: string;
  type: string;
  event: string | null;
  name: string | null;
  message_id: string;
  anonymous_id: string | null;
  user_id: string | null;
  ts: Timestamp;
  sent_at: NullableTimestamp;
  received_at: Timestamp;
  properties: Json<Record<string, unknown>>;
  traits: Json<Record<string, unknown>>;
  context: Json<Record<string, unknown>>;
}

export interface TouchpointsTable {
  id: string;
  workspace_id: string;
  profile_id: string;
  event_id: string;
  ts: Timestamp;
  channel: string;
  source: string | null;
  medium: string | null;
  campaign: string | null;
  term: string | null;
  content: string | null;
  click_id: string | null;
  referrer: string | null;
  landing_page: string | null;
}

export interface TrackingPlanTable {
  workspace_id: string;
  event: string;
  description: string;
  schema: Json<Record<string, unknown>>;
  block: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface EventStatsTable {
  workspace_id: string;
  event: string;
  seen: ColumnType<string, number | string | undefined, number | string>;
  violations: ColumnType<string, number | string | undefined, number | string>;
  blocked: ColumnType<string, number | string | undefined, number | string>;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  last_violation_at: NullableTimestamp;
  examples: Json<unknown[]>;
}

export interface SegmentsTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string;
  definition: Json<unknown>;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
  member_count: Generated<number>;
  refreshed_at: NullableTimestamp;
  state: Generated<'building' | 'ready'>;
  /** The time-window pass's last check (migration 0030). */
  windows_at: NullableTimestamp;
  /** Bumped with every definition change (migration 0030). */
  build_seq: Generated<number>;
}

export interface SegmentMembersTable {
  segment_id: string;
  contact_id: string;
  workspace_id: string;
  entered_at: Timestamp;
}

export interface SegmentMembershipLogTable {
  id: Generated<string>;
  workspace_id: string;
  segment_id: string;
  contact_id: string;
  change: 'entered' | 'exited';
  reason: string;
  at: Timestamp;
}

export interface ListsTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string;
  member_count: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface ListMembersTable {
  list_id: string;
  contact_id: string;
  workspace_id: string;
  added_at: Timestamp;
  added_by: string;
}

export interface SegmentQueueTable {
  id: Generated<string>;
  workspace_id: string;
  contact_id: string;
  cause: string;
  /** Kinds of the new activity ('track:<event>', 'page', 'touchpoint', …); null: any (migration 0029). */
  kinds: string[] | null;
  queued_at: Generated<Date>;
}

export interface ConsentsTable {
  workspace_id: string;
  contact_id: string;
  purpose: string;
  status: 'granted' | 'withdrawn';
  lawful_basis: string;
  double_opt_in: 'not_required' | 'pending' | 'confirmed';
  source: string;
  text_shown: string | null;
  changed_at: Timestamp;
}

export interface ConsentEventsTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  purpose: string;
  status: string;
  lawful_basis: string;
  double_opt_in: string;
  source: string;
  text_shown: string | null;
  ip: string | null;
  user_agent: string | null;
  actor: string;
  at: Timestamp;
  recorded_at: Timestamp;
  applied: Generated<boolean>;
}

export interface PrivacySaltsTable {
  workspace_id: string;
  salt: string;
}

export interface SuppressionsTable {
  workspace_id: string;
  kind: 'email';
  hash: string;
  reason: string;
  created_at: Timestamp;
}

export interface ErasuresTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  requested_by: string;
  at: Timestamp;
  removed: Json<Record<string, number>>;
}

export interface QualitySnapshotsTable {
  workspace_id: string;
  /** A UTC day, YYYY-MM-DD. */
  day: ColumnType<string, string, string>;
  contacts: number;
  score: ColumnType<string | null, number | null, number | null>;
  completeness: ColumnType<string | null, number | null, number | null>;
  validity: ColumnType<string | null, number | null, number | null>;
  counts: Json<Record<string, number>>;
  taken_at: Timestamp;
}

export interface RetentionPoliciesTable {
  workspace_id: string;
  data_type: string;
  keep_days: number;
  updated_by: string;
  updated_at: Timestamp;
}

export interface RetentionRunsTable {
  id: string;
  workspace_id: string;
  data_type: string;
  keep_days: number | null;
  cutoff: NullableTimestamp;
  status: 'running' | 'completed' | 'failed';
  deleted: ColumnType<string, number | undefined, number | string>;
  error: string | null;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
}

export interface DedupeKeysTable {
  workspace_id: string;
  object: 'contact' | 'account';
  key: string;
  record_id: string;
}

/** Term frequencies of matched fields, written by full duplicate scans (migration 0026). */
export interface DedupeFieldStatsTable {
  workspace_id: string;
  object: 'contact' | 'account';
  field: string;
  total: number;
  agree: number;
  counted_at: Timestamp;
}

export interface DedupeValueCountsTable {
  workspace_id: string;
  object: 'contact' | 'account';
  field: string;
  value_hash: string;
  count: number;
}

export interface DuplicatePairsTable {
  workspace_id: string;
  object: 'contact' | 'account';
  a_id: string;
  b_id: string;
  probability: number;
  reasons: Json<unknown[]>;
  status: 'open' | 'merged' | 'auto_merged' | 'dismissed';
  merge_id: string | null;
  found_at: Timestamp;
  scored_at: Timestamp;
  decided_by: string | null;
  decided_at: NullableTimestamp;
}

export interface DedupeSettingsTable {
  workspace_id: string;
  object: 'contact' | 'account';
  settings: Json<Record<string, unknown>>;
  updated_by: string;
  updated_at: Timestamp;
}

export interface MergesTable {
  id: string;
  workspace_id: string;
  object: 'contact' | 'account';
  survivor_id: string;
  loser_ids: string[];
  chosen: Json<Record<string, string>>;
  survivor_before: Json<Record<string, unknown>>;
  survivor_after: Json<Record<string, unknown>>;
  losers: Json<Record<string, unknown>[]>;
  moved: Json<Record<string, unknown>>;
  auto: Generated<boolean>;
  probability: number | null;
  actor: string;
  merged_at: Timestamp;
  undone_at: NullableTimestamp;
  undone_by: string | null;
}

export interface DedupeCandidatesTable {
  workspace_id: string;
  object: string;
  a_id: string;
  b_id: string;
}

export interface DedupeScansTable {
  id: string;
  workspace_id: string;
  object: 'contact' | 'account';
  status: 'running' | 'done' | 'failed';
  phase: string;
  done: Generated<number>;
  total: Generated<number>;
  stats: Json<Record<string, unknown>>;
  error: string | null;
  actor: string;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
}

export interface DedupeQueueTable {
  workspace_id: string;
  object: string;
  record_id: string;
  queued_at: Generated<Date>;
}

export interface NormalisationRulesTable {
  workspace_id: string;
  rules: Json<unknown>;
  updated_by: string;
  updated_at: Timestamp;
}

export interface DB {
  job_keys: JobKeysTable;
  workspaces: WorkspacesTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  idempotency_keys: IdempotencyKeysTable;
  keel_migrations: SchemaMigrationsTable;
  custom_fields: CustomFieldsTable;
  contacts: ContactsTable;
  accounts: AccountsTable;
  external_ids: ExternalIdsTable;
  account_contacts: AccountContactsTable;
  saved_views: SavedViewsTable;
  import_mappings: ImportMappingsTable;
  imports: ImportsTable;
  import_changes: ImportChangesTable;
  bulk_operations: BulkOperationsTable;
  sources: SourcesTable;
  source_keys: SourceKeysTable;
  profiles: ProfilesTable;
  identities: IdentitiesTable;
  profile_merges: ProfileMergesTable;
  event_ids: EventIdsTable;
  events: EventsTable;
  touchpoints: TouchpointsTable;
  tracking_plan: TrackingPlanTable;
  event_stats: EventStatsTable;
  segments: SegmentsTable;
  segment_members: SegmentMembersTable;
  segment_membership_log: SegmentMembershipLogTable;
  lists: ListsTable;
  list_members: ListMembersTable;
  segment_queue: SegmentQueueTable;
  consents: ConsentsTable;
  consent_events: ConsentEventsTable;
  channel_rules: ChannelRulesTable;
  privacy_salts: PrivacySaltsTable;
  suppressions: SuppressionsTable;
  erasures: ErasuresTable;
  quality_snapshots: QualitySnapshotsTable;
  retention_policies: RetentionPoliciesTable;
  retention_runs: RetentionRunsTable;
  dedupe_keys: DedupeKeysTable;
  duplicate_pairs: DuplicatePairsTable;
  dedupe_settings: DedupeSettingsTable;
  merges: MergesTable;
  dedupe_queue: DedupeQueueTable;
  dedupe_candidates: DedupeCandidatesTable;
  dedupe_scans: DedupeScansTable;
  dedupe_field_stats: DedupeFieldStatsTable;
  dedupe_value_counts: DedupeValueCountsTable;
  normalisation_rules: NormalisationRulesTable;
}
