/**
 * Table types for the whole product. The same query code runs on SQLite and PostgreSQL, so
 * columns follow portable conventions:
 * - ids are text (`crypto.randomUUID()`), never database-generated integers;
 * - timestamps are ISO-8601 UTC text (`new Date().toISOString()`), which sorts correctly;
 * - booleans are integers 0/1, JSON is text, counters are integers.
 * Secrets are stored only as vault-sealed text (see vault.ts), in columns named `*_sealed`.
 *
 * To add a table: add its interface here and to `Database`, and a migration file in
 * `migrations/` appended to the list in `migrations/index.ts`.
 */

export type Role = 'admin' | 'tester';

export interface UsersTable {
  id: string;
  username: string;
  role: Role;
  /** `scrypt$N$r$p$salt$hash`; never the password. */
  password_hash: string;
  created_at: string;
  updated_at: string;
  /** Bumped on every password change so other sessions of the user can be cut off. */
  password_changed_at: string;
}

export interface SessionsTable {
  id: string;
  /** SHA-256 of the cookie token: a leaked database row cannot be replayed as a cookie. */
  token_hash: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  user_agent: string | null;
  ip: string | null;
}

/** Small key/value facts about this installation (vault check value, first-start markers). */
export interface SettingsTable {
  name: string;
  value: string;
  updated_at: string;
}

export type JiraAuthMode = 'oauth1' | 'oauth2-cloud' | 'oauth2-dc' | 'pat' | 'basic';

/** One Jira connection (src/integration/instances.ts owns it). */
export interface JiraInstancesTable {
  id: string;
  name: string;
  /** Where Testbridge sends requests. */
  jira_url: string;
  /** What Jira believes its address is: signatures and links shown to people use it. */
  base_url: string;
  proxy_host: string | null;
  proxy_url_sealed: string | null;
  tls_verify: number;
  ca_pem: string | null;
  auth_mode: JiraAuthMode;
  /** JSON of the non-secret auth facts (consumer key, key fingerprint, client id, user name). */
  auth_json: string;
  credentials_sealed: string | null;
  tokens_sealed: string | null;
  tokens_version: number;
  token_expires_at: string | null;
  status: string;
  status_message: string | null;
  setup_step: string;
  deployment_json: string | null;
  acting_user: string | null;
  last_diagnostics_json: string | null;
  last_diagnostics_at: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** A pending OAuth authorization: lives minutes, bound to whoever started it. */
export interface JiraAuthorizationsTable {
  id: string;
  instance_id: string;
  kind: 'oauth1' | 'oauth2';
  lookup_hash: string;
  request_sealed: string;
  callback: string;
  started_by: string;
  status: string;
  error_json: string | null;
  created_at: string;
  expires_at: string;
  completed_at: string | null;
}

// --- test management (tm) and project mappings (sync) -----------------------------------

export interface TmProjectsTable {
  id: string;
  key: string;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

/** A Jira version as a release of the project it is mapped to. */
export interface TmReleasesTable {
  id: string;
  project_id: string;
  jira_version_id: string;
  name: string;
  description: string | null;
  released: number;
  archived: number;
  /** yyyy-MM-dd as Jira stores it. */
  release_date: string | null;
  start_date: string | null;
  /** Position in Jira's version order (0 first). */
  sequence: number;
  deleted_at: string | null;
  merged_to_release_id: string | null;
  created_at: string;
  updated_at: string;
}

export type TmIssueKind = 'requirement' | 'defect';
/** Why a synced issue is no longer shown: gone in Jira, moved out of the mapped project, retyped or filtered out. */
export type TmRemovedReason = 'deleted' | 'moved' | 'retyped' | 'out-of-scope' | 'unmapped';

/** Requirements and defects: Jira issues of the mapped types; the Jira issue id is the identity. */
export interface TmIssuesTable {
  id: string;
  project_id: string;
  kind: TmIssueKind;
  jira_instance_id: string;
  jira_issue_id: string;
  jira_key: string;
  jira_project_id: string;
  issue_type: string;
  issue_type_id: string | null;
  summary: string | null;
  description: string | null;
  status: string | null;
  status_category: string | null;
  priority: string | null;
  /** JSON string[] */
  labels: string;
  /** JSON string[] of component names */
  components: string;
  /** JSON string[] of Jira version ids */
  fix_version_ids: string;
  assignee_id: string | null;
  assignee_name: string | null;
  parent_jira_id: string | null;
  parent_key: string | null;
  /** Jira's `updated`, normalised to ISO-8601 UTC; an older state never overwrites a newer one. */
  jira_updated: string;
  removed_reason: TmRemovedReason | null;
  removed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TmTestCasesTable {
  id: string;
  project_id: string;
  title: string;
  /** JSON { action, expected }[] */
  steps: string;
  created_at: string;
  updated_at: string;
}

export interface TmTestCaseRequirementsTable {
  test_case_id: string;
  requirement_id: string;
}

export type TmExecutionStatus = 'passed' | 'failed' | 'blocked';

export interface TmExecutionsTable {
  id: string;
  test_case_id: string;
  status: TmExecutionStatus;
  notes: string | null;
  executed_at: string;
  created_at: string;
}

export type WebhookMode = 'automatic' | 'manual';

export interface SyncMappingsTable {
  id: string;
  project_id: string;
  jira_instance_id: string;
  jira_project_id: string;
  jira_project_key: string;
  jira_project_name: string;
  /** JSON string[] of issue type names */
  requirement_types: string;
  /** JSON string[] of issue type names */
  defect_types: string;
  extra_jql: string | null;
  version_mode: 'all' | 'unarchived' | 'none';
  /** JSON string[] of SyncedField */
  synced_fields: string;
  /** active | suspended (Jira project deleted) */
  state: string;
  alert: string | null;
  webhook_mode: WebhookMode;
  /** Unguessable; the receiver URL is /webhooks/jira/:token. */
  webhook_token: string;
  webhook_secret_sealed: string | null;
  jira_webhook_id: string | null;
  webhook_state: string;
  webhook_error: string | null;
  webhook_expires_at: string | null;
  webhook_verified_at: string | null;
  webhook_checked_at: string | null;
  last_delivery_at: string | null;
  /** pending | running | done | failed */
  import_state: string;
  /** JSON checkpoint: { startAt } or { nextPageToken } */
  import_cursor: string | null;
  import_done: number;
  import_total: number | null;
  import_started_at: string | null;
  import_finished_at: string | null;
  import_error: string | null;
  /** JSON { created, updated, unchanged, ... } */
  import_counts: string | null;
  /** Newest Jira `updated` seen, ISO UTC; reconciliation asks for `updated >= watermark - overlap`. */
  watermark: string | null;
  last_reconcile_at: string | null;
  /** JSON summary of the last reconcile (counts, drift). */
  last_reconcile: string | null;
  last_id_scan_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A named lease (e.g. `import:<mappingId>`) held by one server instance until `until`. */
export interface SyncLeasesTable {
  name: string;
  holder: string;
  until: string;
}

export interface SyncApiCallsTable {
  mapping_id: string;
  reason: string;
  calls: number;
  failed: number;
  rate_limited: number;
  updated_at: string;
}

export type DeliveryState = 'received' | 'applied' | 'ignored' | 'failed' | 'parked';

/** One webhook delivery in the inbox (src/sync/inbox.ts), kept raw as Jira sent it. */
export interface SyncDeliveriesTable {
  id: string;
  mapping_id: string;
  /** X-Atlassian-Webhook-Identifier, or `sha256:<hash of the body>`; unique per mapping. */
  delivery_key: string;
  received_at: string;
  body: string;
  /** JSON of the few headers worth keeping (identifier, retry count, user agent). */
  headers: string;
  jira_issue_id: string | null;
  event: string | null;
  jira_updated: string | null;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: string;
  claimed_until: string | null;
  last_error: string | null;
  /** Why a delivery was ignored or how it was applied. */
  reason: string | null;
  processed_at: string | null;
}

/** Logs and screenshots uploaded with an execution, for filing with its defect. */
export interface TmExecutionAttachmentsTable {
  id: string;
  execution_id: string;
  filename: string;
  content_type: string;
  size: number;
  content_base64: string;
  created_at: string;
}

/** One defect filing per (execution, Idempotency-Key): the record that makes retries safe. */
export interface TmDefectFilingsTable {
  id: string;
  execution_id: string;
  idempotency_key: string;
  request_hash: string;
  request_json: string;
  /** `in_progress` (claimed until claimed_until), `incomplete` (a step failed: resumable) or `done`. */
  state: string;
  claimed_until: string | null;
  jira_instance_id: string;
  jira_issue_id: string | null;
  jira_key: string | null;
  /** tm_issues.id of the stored defect. */
  defect_id: string | null;
  /** JSON: the Jira steps already done (attachments by id, link, comment, assign, transition). */
  progress_json: string;
  last_error: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  settings: SettingsTable;
  tm_projects: TmProjectsTable;
  tm_releases: TmReleasesTable;
  tm_issues: TmIssuesTable;
  tm_test_cases: TmTestCasesTable;
  tm_test_case_requirements: TmTestCaseRequirementsTable;
  tm_executions: TmExecutionsTable;
  tm_execution_attachments: TmExecutionAttachmentsTable;
  tm_defect_filings: TmDefectFilingsTable;
  sync_mappings: SyncMappingsTable;
  sync_api_calls: SyncApiCallsTable;
  sync_leases: SyncLeasesTable;
  sync_deliveries: SyncDeliveriesTable;
  jira_instances: JiraInstancesTable;
  jira_authorizations: JiraAuthorizationsTable;
}
