/**
 * Step 2 of the OAuth 1.0a wizard: the exact values for Jira's application link dialog and
 * the clicks to get there, for the three dialogs Jira has had (Cloud, Server/DC below 9,
 * Server/DC 9 and later). The seed's procedure, with Testbridge's values filled in.
 */
import { AppError } from '../errors.js';
import { callbackUrl } from './connection-client.js';
import type { ConnectionDeps } from './deps.js';
import { authFactsOf, deploymentOf, type InstanceRow, publicKeyBodyOf } from './instances.js';

export type JiraDialogVariant = 'cloud' | 'server-below-9' | 'datacenter-9-plus';

export type ApplicationLinkValues = {
  /** Testbridge's public URL: what Jira's "Application URL" field wants. */
  applicationUrl: string;
  applicationName: string;
  applicationType: string;
  consumerKey: string;
  consumerName: string;
  /** The public key as the dialog wants it: base64 only, no BEGIN/END lines, no spaces. */
  publicKey: string;
  publicKeyFingerprint: string;
  callbackUrl: string;
};

export type ApplicationLinkGuide = {
  instanceId: string;
  values: ApplicationLinkValues;
  /** The variant for the detected Jira, or null when Jira's version is not known yet. */
  detected: JiraDialogVariant | null;
  variants: { variant: JiraDialogVariant; title: string; steps: string[] }[];
  after: string;
};

export function dialogVariant(deployment: { cloud: boolean; major: number }): JiraDialogVariant {
  if (deployment.cloud) return 'cloud';
  return deployment.major >= 9 ? 'datacenter-9-plus' : 'server-below-9';
}

function steps(variant: JiraDialogVariant, v: ApplicationLinkValues): string[] {
  const incoming = [
    `In the link's settings enter Application Name "${v.applicationName}", Application Type "${v.applicationType}", and the same value in the other name fields (Service Provider Name, Consumer key, Shared secret: Jira only requires them to be filled; they are not used).`,
    'Scroll down and tick "Create incoming link". This is essential: without it Jira knows no consumer key.',
    'Click Continue.',
    `In the incoming link dialog enter Consumer Key "${v.consumerKey}" and Consumer Name "${v.consumerName}".`,
    'Paste the public key below into Public Key. It is one line without the BEGIN/END PUBLIC KEY lines; clear the box first and add no spaces or line breaks.',
    `If the dialog has a Consumer Callback URL field, enter ${v.callbackUrl}.`,
    'Click Continue. The link appears in the list of application links.',
  ];
  switch (variant) {
    case 'cloud':
      return [
        'In Jira Cloud, go to Settings (⚙) > Products > Application links (under Integrations).',
        `Enter ${v.applicationUrl} as the application URL and click Create new link.`,
        'Jira may say that no response was received from the URL: click Continue.',
        ...incoming,
      ];
    case 'server-below-9':
      return [
        'In Jira, go to Settings (⚙) > Applications > Application links (under Integrations).',
        `Enter ${v.applicationUrl} in the field and click Create new link.`,
        'Jira may say that no response was received from the URL: click Continue.',
        ...incoming,
      ];
    case 'datacenter-9-plus':
      return [
        'In Jira, go to Settings (⚙) > Products > Application links (under Integrations) and click Create link.',
        'Choose "Atlassian product" as the application type (the OAuth 1.0a link type), then enter',
        `${v.applicationUrl} as the application URL and click Continue.`,
        'Jira may say that no response was received from the URL: click Continue.',
        ...incoming,
      ];
  }
}

const TITLES: Record<JiraDialogVariant, string> = {
  cloud: 'Jira Cloud',
  'server-below-9': 'Jira Server / Data Center below 9',
  'datacenter-9-plus': 'Jira Data Center 9 and later',
};

export function applicationLinkGuide(
  deps: Pick<ConnectionDeps, 'config'>,
  row: InstanceRow,
  detected?: { cloud: boolean; major: number },
): ApplicationLinkGuide {
  const facts = authFactsOf(row);
  if (facts.mode !== 'oauth1') {
    throw new AppError(
      'jira_auth_mode_mismatch',
      `Jira instance "${row.name}" uses ${row.auth_mode}, which needs no application link with a public key.`,
      {
        status: 409,
        hint: 'Application link values are for oauth1 instances; change the auth mode to oauth1 to use them.',
      },
    );
  }
  const values: ApplicationLinkValues = {
    applicationUrl: deps.config.publicUrl,
    applicationName: facts.consumerName,
    applicationType: 'Generic Application',
    consumerKey: facts.consumerKey,
    consumerName: facts.consumerName,
    publicKey: publicKeyBodyOf(facts.publicKeyPem),
    publicKeyFingerprint: facts.keyFingerprint.sha256,
    callbackUrl: callbackUrl(deps),
  };
  const known = detected ?? deploymentOf(row);
  const variant = known ? dialogVariant(known) : null;
  const all: JiraDialogVariant[] = ['cloud', 'server-below-9', 'datacenter-9-plus'];
  return {
    instanceId: row.id,
    values,
    detected: variant,
    variants: (variant ? [variant] : all).map((v) => ({
      variant: v,
      title: TITLES[v],
      steps: steps(v, values),
    })),
    after: `Then confirm: POST /api/jira/instances/${row.id}/authorize (or \`testbridge jira authorize ${row.id}\`). Testbridge asks Jira for a request token and shows the authorization URL, or explains what Jira refused.`,
  };
}
