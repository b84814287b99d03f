/**
 * Jira payloads as Testbridge reads them. Lenient on purpose: Cloud and Server/DC differ
 * in which fields they send (accountId vs name/key, ADF vs wiki text), so objects keep
 * unknown keys and only what we rely on is required.
 */
import { z } from 'zod';

const id = z.union([z.string(), z.number()]).transform(String);

export const serverInfoSchema = z.looseObject({
  baseUrl: z.string(),
  version: z.string().optional(),
  versionNumbers: z.array(z.number()).optional(),
  deploymentType: z.string().optional(),
  buildNumber: z.number().optional(),
  serverTitle: z.string().optional(),
  serverTime: z.string().optional(),
});
export type ServerInfo = z.infer<typeof serverInfoSchema>;

export const userSchema = z.looseObject({
  self: z.string().optional(),
  accountId: z.string().optional(),
  name: z.string().optional(),
  key: z.string().optional(),
  displayName: z.string().optional(),
  emailAddress: z.string().optional(),
  active: z.boolean().optional(),
  timeZone: z.string().optional(),
});
export type JiraUser = z.infer<typeof userSchema>;

export const permissionSchema = z.looseObject({
  id: z.string().optional(),
  key: z.string().optional(),
  name: z.string().optional(),
  type: z.string().optional(),
  description: z.string().optional(),
  havePermission: z.boolean(),
});
export const myPermissionsSchema = z.looseObject({
  permissions: z.record(z.string(), permissionSchema),
});
export type MyPermissions = z.infer<typeof myPermissionsSchema>;

export const versionSchema = z.looseObject({
  id,
  self: z.string().optional(),
  name: z.string(),
  description: z.string().optional(),
  archived: z.boolean().optional(),
  released: z.boolean().optional(),
  releaseDate: z.string().optional(),
  startDate: z.string().optional(),
  projectId: z.union([z.string(), z.number()]).optional(),
});
export type JiraVersion = z.infer<typeof versionSchema>;

export const issueTypeSchema = z.looseObject({
  id,
  name: z.string(),
  description: z.string().optional(),
  subtask: z.boolean().optional(),
  iconUrl: z.string().optional(),
});
export type JiraIssueType = z.infer<typeof issueTypeSchema>;

export const projectSchema = z.looseObject({
  id,
  key: z.string(),
  name: z.string(),
  self: z.string().optional(),
  projectTypeKey: z.string().optional(),
  archived: z.boolean().optional(),
  lead: userSchema.optional(),
  issueTypes: z.array(issueTypeSchema).optional(),
  versions: z.array(versionSchema).optional(),
});
export type JiraProject = z.infer<typeof projectSchema>;

/** Cloud's paged list shape (`/project/search`, `/webhook`, new createmeta). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.looseObject({
    startAt: z.number().optional(),
    maxResults: z.number().optional(),
    total: z.number().optional(),
    isLast: z.boolean().optional(),
    values: z.array(item),
  });
}

export const fieldMetaSchema = z.looseObject({
  fieldId: z.string().optional(),
  key: z.string().optional(),
  name: z.string(),
  required: z.boolean(),
  schema: z
    .looseObject({
      type: z.string(),
      items: z.string().optional(),
      system: z.string().optional(),
      custom: z.string().optional(),
    })
    .optional(),
  allowedValues: z.array(z.unknown()).optional(),
  hasDefaultValue: z.boolean().optional(),
  defaultValue: z.unknown().optional(),
  operations: z.array(z.string()).optional(),
  autoCompleteUrl: z.string().optional(),
});
export type FieldMeta = z.infer<typeof fieldMetaSchema>;

export const legacyCreateMetaSchema = z.looseObject({
  projects: z.array(
    z.looseObject({
      id,
      key: z.string(),
      name: z.string().optional(),
      issuetypes: z.array(
        issueTypeSchema.extend({ fields: z.record(z.string(), fieldMetaSchema).optional() }),
      ),
    }),
  ),
});

export const issueSchema = z.looseObject({
  id,
  key: z.string(),
  self: z.string().optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
  changelog: z
    .looseObject({
      startAt: z.number().optional(),
      maxResults: z.number().optional(),
      total: z.number().optional(),
      histories: z.array(z.unknown()).optional(),
    })
    .optional(),
  renderedFields: z.record(z.string(), z.unknown()).optional(),
});
export type JiraIssue = z.infer<typeof issueSchema>;

export const createdIssueSchema = z.looseObject({ id, key: z.string(), self: z.string().optional() });
export type CreatedIssue = z.infer<typeof createdIssueSchema>;

export const transitionSchema = z.looseObject({
  id,
  name: z.string(),
  to: z.looseObject({ id: id.optional(), name: z.string().optional() }).optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
});
export type JiraTransition = z.infer<typeof transitionSchema>;
export const transitionsSchema = z.looseObject({ transitions: z.array(transitionSchema) });

export const commentSchema = z.looseObject({
  id,
  self: z.string().optional(),
  body: z.unknown().optional(),
  created: z.string().optional(),
  author: userSchema.optional(),
});
export type JiraComment = z.infer<typeof commentSchema>;

export const attachmentSchema = z.looseObject({
  id,
  self: z.string().optional(),
  filename: z.string(),
  size: z.number().optional(),
  mimeType: z.string().optional(),
  content: z.string().optional(),
});
export type JiraAttachment = z.infer<typeof attachmentSchema>;

export const serverSearchPageSchema = z.looseObject({
  startAt: z.number().optional(),
  maxResults: z.number().optional(),
  total: z.number().optional(),
  issues: z.array(issueSchema),
});

export const cloudSearchPageSchema = z.looseObject({
  issues: z.array(issueSchema),
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().optional(),
});

/** Server/DC (<10) and Cloud admin webhook, `/rest/webhooks/1.0/webhook`. */
export const adminWebhookV1Schema = z.looseObject({
  self: z.string().optional(),
  id: z.union([z.string(), z.number()]).optional(),
  name: z.string().optional(),
  url: z.string(),
  events: z.array(z.string()).optional(),
  filters: z.record(z.string(), z.string().nullish()).optional(),
  jqlFilter: z.string().nullish(),
  excludeBody: z.boolean().optional(),
  excludeIssueDetails: z.boolean().optional(),
  enabled: z.boolean().optional(),
  lastUpdated: z.union([z.string(), z.number()]).optional(),
});

/** DC 10+ admin webhook, `/rest/jira-webhook/1.0/webhooks`. */
export const adminWebhookDc10Schema = z.looseObject({
  id: z.union([z.string(), z.number()]),
  name: z.string().optional(),
  url: z.string(),
  events: z.array(z.string()).optional(),
  active: z.boolean().optional(),
  configuration: z.record(z.string(), z.unknown()).optional(),
  sslVerificationRequired: z.boolean().optional(),
});

export const dynamicWebhookSchema = z.looseObject({
  id: z.number(),
  jqlFilter: z.string(),
  events: z.array(z.string()),
  fieldIdsFilter: z.array(z.string()).optional(),
  expirationDate: z.union([z.number(), z.string()]).optional(),
  url: z.string().optional(),
});
export type DynamicWebhook = z.infer<typeof dynamicWebhookSchema>;

export const dynamicWebhookRegistrationSchema = z.looseObject({
  webhookRegistrationResult: z.array(
    z.looseObject({ createdWebhookId: z.number().optional(), errors: z.array(z.string()).optional() }),
  ),
});

export const dynamicWebhookRefreshSchema = z.looseObject({
  expirationDate: z.union([z.number(), z.string()]).optional(),
});
