import { request } from './api.js';

/**
 * The connections, mappings and projects APIs the Jira screens use (docs/connections.md).
 * Views never carry secrets: only fingerprints and `…Set` flags, which is all the UI shows.
 */

export type AuthMode = 'oauth1' | 'oauth2-cloud' | 'oauth2-dc' | 'pat' | 'basic';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type DiagnosticCheck = {
  id: string;
  title: string;
  status: CheckStatus;
  message: string;
  hint?: string;
};
export type DiagnosticsReport = {
  instanceId: string;
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  summary: string;
  checks: DiagnosticCheck[];
};

export type InstanceDetail = {
  id: string;
  name: string;
  jiraUrl: string;
  baseUrl: string;
  authMode: AuthMode;
  auth: Record<string, unknown>;
  authorized: boolean;
  status: string;
  statusMessage: string | null;
  setupStep: 'application-link' | 'authorize' | 'diagnostics' | 'credentials' | 'done';
  next: { step: string; action: string; hint?: string } | null;
  deployment: { cloud: boolean; deploymentType: string; version: string } | null;
  lastDiagnostics: { at: string; ok: boolean; summary?: string } | null;
  mappings: number;
  authorization?: {
    id: string;
    kind: string;
    status: string;
    expiresAt: string;
    error?: { code?: string; message: string; hint?: string } | string;
  } | null;
  diagnostics?: DiagnosticsReport | null;
};

export type ApplicationLinkGuide = {
  instanceId: string;
  values: {
    applicationUrl: string;
    applicationName: string;
    applicationType: string;
    consumerKey: string;
    consumerName: string;
    publicKey: string;
    publicKeyFingerprint: string;
    callbackUrl: string;
  };
  detected: string | null;
  variants: { variant: string; title: string; steps: string[] }[];
  after: string;
};

export type AuthInput =
  | { mode: 'oauth1'; consumerKey: string; consumerName?: string; privateKey?: string }
  | { mode: 'oauth2-cloud' | 'oauth2-dc'; clientId: string; clientSecret: string }
  | { mode: 'pat'; token: string }
  | { mode: 'basic'; username: string; password: string };

export type InstanceInput = { name: string; jiraUrl: string; baseUrl?: string; auth: AuthInput };

export type Authorization = { authorizationUrl: string; expiresAt: string; kind: string };

const enc = encodeURIComponent;

export const createInstance = (input: InstanceInput) =>
  request<{
    instance: InstanceDetail;
    applicationLink?: ApplicationLinkGuide;
    diagnostics?: DiagnosticsReport;
  }>('POST', '/api/jira/instances', input);
export const getInstance = (id: string) => request<InstanceDetail>('GET', `/api/jira/instances/${enc(id)}`);
export const patchInstance = (id: string, input: Partial<InstanceInput>) =>
  request<InstanceDetail>('PATCH', `/api/jira/instances/${enc(id)}`, input);
export const removeInstance = (id: string) => request<void>('DELETE', `/api/jira/instances/${enc(id)}`);
export const getApplicationLink = (id: string) =>
  request<ApplicationLinkGuide>('GET', `/api/jira/instances/${enc(id)}/application-link`);
export const authorize = (id: string, oob = false) =>
  request<Authorization>('POST', `/api/jira/instances/${enc(id)}/authorize`, oob ? { oob: true } : {});
export const verify = (id: string, verifier: string) =>
  request<{ diagnostics: DiagnosticsReport }>('POST', `/api/jira/instances/${enc(id)}/verify`, { verifier });
export const runDiagnostics = (id: string) =>
  request<{ diagnostics: DiagnosticsReport }>('POST', `/api/jira/instances/${enc(id)}/diagnostics`, {});

// Mappings ---------------------------------------------------------------------------

export type JiraProjectChoice = {
  id: string;
  key: string;
  name: string;
  issueTypes: { id: string; name: string; subtask: boolean }[];
};

export type ImportProgress = {
  state: string;
  done: number;
  total: number | null;
  error: string | null;
};

export type MappingView = {
  id: string;
  projectId: string;
  projectKey: string;
  jiraInstanceId: string;
  jiraProject: { id: string; key: string; name: string };
  requirementTypes: string[];
  defectTypes: string[];
  extraJql: string | null;
  syncedFields: string[];
  state: string;
  alert: string | null;
  webhookSetup: { name: string; url: string; events: readonly string[]; jql: string; steps: string[] };
  health: {
    webhook: { mode: 'automatic' | 'manual'; state: string; error: string | null };
    lastDeliveryAt: string | null;
    inbox: { depth: number; failed: number; parked: number };
    import: ImportProgress;
    reconcile: { lastAt: string | null; drift: number | null };
  };
};

export type MappingInput = {
  projectId: string;
  jiraInstanceId: string;
  jiraProject: string;
  requirementTypes: string[];
  defectTypes: string[];
  extraJql?: string;
  syncedFields?: string[];
  webhookMode: 'automatic' | 'manual';
};

export type ParkedDelivery = {
  id: string;
  receivedAt?: string;
  error?: string | null;
  jiraIssueKey?: string;
};

export const listJiraProjects = (instanceId: string) =>
  request<{ projects: JiraProjectChoice[] }>('GET', `/api/jira/instances/${enc(instanceId)}/projects`);
export const listMappings = (instanceId: string) =>
  request<{ mappings: MappingView[] }>('GET', `/api/jira/instances/${enc(instanceId)}/mappings`);
export const createMapping = (input: MappingInput) => request<MappingView>('POST', '/api/mappings', input);
export const startImport = (id: string) => request<MappingView>('POST', `/api/mappings/${enc(id)}/import`);
export const reconcile = (id: string) => request<unknown>('POST', `/api/mappings/${enc(id)}/reconcile`);
export const parkedDeliveries = (id: string) =>
  request<{ deliveries: ParkedDelivery[] }>('GET', `/api/mappings/${enc(id)}/inbox?state=parked`);
export const retryDelivery = (id: string, deliveryId: string) =>
  request<unknown>('POST', `/api/mappings/${enc(id)}/inbox/${enc(deliveryId)}/retry`);

// Projects ---------------------------------------------------------------------------

export type ProjectDetail = { id: string; key: string; name: string; description: string | null };
export type RequirementRow = {
  id: string;
  jiraKey: string;
  issueType: string;
  summary: string | null;
  status: string | null;
  priority: string | null;
};
export type ReleaseRow = {
  id: string;
  name: string;
  released: boolean;
  archived: boolean;
  releaseDate: string | null;
};

export const createProject = (input: { key: string; name: string }) =>
  request<ProjectDetail>('POST', '/api/projects', input);
export const getProject = (id: string) => request<ProjectDetail>('GET', `/api/projects/${enc(id)}`);
export const listRequirements = (id: string, q = '') =>
  request<{ items: RequirementRow[]; total: number }>(
    'GET',
    `/api/projects/${enc(id)}/requirements?limit=100${q ? `&q=${enc(q)}` : ''}`,
  );
export const listReleases = (id: string) =>
  request<{ releases: ReleaseRow[] }>('GET', `/api/projects/${enc(id)}/releases`);
