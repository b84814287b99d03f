import { type JiraDeployment, deploymentFromServerInfo } from './deployment.js';
import type { CallOptions, JiraContext } from './endpoints/context.js';
import * as meta from './endpoints/createmeta.js';
import * as issues from './endpoints/issues.js';
import * as projects from './endpoints/projects.js';
import * as search from './endpoints/search.js';
import * as server from './endpoints/server-info.js';
import * as webhooks from './endpoints/webhooks.js';
import type { ServerInfo } from './schemas.js';
import { JiraTransport, type JiraTransportOptions } from './transport.js';

export type JiraClientOptions = JiraTransportOptions & {
  /** Known deployment (stored with the connection); otherwise detected from serverInfo on first need. */
  deployment?: JiraDeployment;
};

/**
 * One Jira connection: the endpoints Testbridge uses, with the API variant (Cloud or
 * Server/DC, and DC version) chosen per call from the deployment.
 */
export class JiraClient implements JiraContext {
  readonly transport: JiraTransport;
  private detected: Promise<JiraDeployment> | undefined;

  constructor(options: JiraClientOptions) {
    this.transport = new JiraTransport(options);
    if (options.deployment) this.detected = Promise.resolve(options.deployment);
  }

  /** The deployment, asking Jira once (concurrent callers share the one request). */
  deployment(): Promise<JiraDeployment> {
    if (!this.detected) {
      const pending = server.serverInfo(this, { reason: 'detect' }).then(deploymentFromServerInfo);
      // A failed detection must not stick: the next call asks again.
      pending.catch(() => {
        if (this.detected === pending) this.detected = undefined;
      });
      this.detected = pending;
    }
    return this.detected;
  }

  /** serverInfo, also remembering the deployment it reveals. */
  async serverInfo(o?: CallOptions): Promise<ServerInfo> {
    const info = await server.serverInfo(this, o);
    this.detected = Promise.resolve(deploymentFromServerInfo(info));
    return info;
  }

  myself = (o?: CallOptions) => server.myself(this, o);
  myPermissions = (options?: Parameters<typeof server.myPermissions>[1]) =>
    server.myPermissions(this, options);

  projectPages = (options?: Parameters<typeof projects.projectPages>[1]) =>
    projects.projectPages(this, options);
  listProjects = (o?: CallOptions) => projects.listProjects(this, o);
  getProject = (projectIdOrKey: string, o?: CallOptions) => projects.getProject(this, projectIdOrKey, o);
  projectVersions = (projectIdOrKey: string, o?: CallOptions) =>
    projects.projectVersions(this, projectIdOrKey, o);

  createMetaIssueTypes = (projectIdOrKey: string, o?: CallOptions) =>
    meta.createMetaIssueTypes(this, projectIdOrKey, o);
  createMetaFields = (projectIdOrKey: string, issueTypeId: string, o?: CallOptions) =>
    meta.createMetaFields(this, projectIdOrKey, issueTypeId, o);

  createIssue = (input: Parameters<typeof issues.createIssue>[1], o?: CallOptions) =>
    issues.createIssue(this, input, o);
  getIssue = (issueIdOrKey: string, options?: Parameters<typeof issues.getIssue>[2]) =>
    issues.getIssue(this, issueIdOrKey, options);
  editIssue = (
    issueIdOrKey: string,
    input: Parameters<typeof issues.editIssue>[2],
    options?: Parameters<typeof issues.editIssue>[3],
  ) => issues.editIssue(this, issueIdOrKey, input, options);
  getTransitions = (issueIdOrKey: string, options?: Parameters<typeof issues.getTransitions>[2]) =>
    issues.getTransitions(this, issueIdOrKey, options);
  transitionIssue = (
    issueIdOrKey: string,
    input: Parameters<typeof issues.transitionIssue>[2],
    o?: CallOptions,
  ) => issues.transitionIssue(this, issueIdOrKey, input, o);
  addComment = (issueIdOrKey: string, body: string, o?: CallOptions) =>
    issues.addComment(this, issueIdOrKey, body, o);
  addAttachment = (issueIdOrKey: string, file: issues.AttachmentInput, o?: CallOptions) =>
    issues.addAttachment(this, issueIdOrKey, file, o);
  createIssueLink = (input: Parameters<typeof issues.createIssueLink>[1], o?: CallOptions) =>
    issues.createIssueLink(this, input, o);

  searchPages = (jql: string, options?: search.SearchOptions) => search.searchPages(this, jql, options);
  searchIssues = (jql: string, options?: search.SearchOptions) => search.searchIssues(this, jql, options);

  listAdminWebhooks = (o?: CallOptions) => webhooks.listAdminWebhooks(this, o);
  getAdminWebhook = (id: string, o?: CallOptions) => webhooks.getAdminWebhook(this, id, o);
  createAdminWebhook = (input: webhooks.AdminWebhookInput, o?: CallOptions) =>
    webhooks.createAdminWebhook(this, input, o);
  updateAdminWebhook = (id: string, input: webhooks.AdminWebhookInput, o?: CallOptions) =>
    webhooks.updateAdminWebhook(this, id, input, o);
  deleteAdminWebhook = (id: string, o?: CallOptions) => webhooks.deleteAdminWebhook(this, id, o);

  registerDynamicWebhooks = (url: string, list: readonly webhooks.DynamicWebhookInput[], o?: CallOptions) =>
    webhooks.registerDynamicWebhooks(this, url, list, o);
  listDynamicWebhooks = (o?: CallOptions) => webhooks.listDynamicWebhooks(this, o);
  deleteDynamicWebhooks = (ids: readonly number[], o?: CallOptions) =>
    webhooks.deleteDynamicWebhooks(this, ids, o);
  refreshDynamicWebhooks = (ids: readonly number[], o?: CallOptions) =>
    webhooks.refreshDynamicWebhooks(this, ids, o);

  /** Releases the connection pool of a custom proxy/TLS dispatcher. */
  close(): Promise<void> {
    return this.transport.close();
  }
}
