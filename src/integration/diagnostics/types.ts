export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export type CheckId =
  | 'reachability'
  | 'tls'
  | 'server_info'
  | 'base_url'
  | 'clock'
  | 'authentication'
  | 'credential_expiry'
  | 'permissions'
  | 'project_permissions'
  | 'webhook_permission'
  | 'public_url';

/** One diagnostic: what was checked, how it went, what to do, and how long it took. */
export type DiagnosticCheck = {
  id: CheckId;
  title: string;
  status: CheckStatus;
  message: string;
  hint?: string;
  ms: number;
  /** Machine-readable facts (latency, offset, days left, missing permissions); never secrets. */
  details?: Record<string, unknown>;
};

export type DiagnosticsReport = {
  instanceId: string;
  startedAt: string;
  finishedAt: string;
  /** No check failed (warnings allowed). */
  ok: boolean;
  summary: string;
  counts: Record<CheckStatus, number>;
  checks: DiagnosticCheck[];
};
