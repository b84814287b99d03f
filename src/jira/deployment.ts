import type { ServerInfo } from './schemas.js';

/** What kind of Jira we talk to; decides which API variant each endpoint uses. */
export type JiraDeployment = {
  cloud: boolean;
  /** Jira's own name for it: Cloud, Server or DataCenter. */
  deploymentType: string;
  /** Major version (Server/DC; Cloud reports 1001). */
  major: number;
  minor: number;
};

export function deploymentFromServerInfo(info: ServerInfo): JiraDeployment {
  const [major = 0, minor = 0] = info.versionNumbers ?? (info.version ?? '0.0').split('.').map(Number);
  const deploymentType = info.deploymentType ?? 'Server';
  // Cloud always says deploymentType "Cloud"; its 1001.x version is a second tell.
  const cloud = deploymentType.toLowerCase() === 'cloud' || major >= 1000;
  return { cloud, deploymentType: cloud ? 'Cloud' : deploymentType, major, minor };
}

/** Server/DC before 9 only has the project-wide createmeta; 9 removed it for the per-issue-type one. */
export function usesLegacyCreateMeta(d: JiraDeployment): boolean {
  return !d.cloud && d.major < 9;
}

/** DC 10 replaced /rest/webhooks/1.0 with /rest/jira-webhook/1.0. */
export function usesJiraWebhookApi(d: JiraDeployment): boolean {
  return !d.cloud && d.major >= 10;
}
