import { z } from 'zod';
import { AppError } from '../../errors.js';
import {
  attachmentSchema,
  commentSchema,
  type CreatedIssue,
  createdIssueSchema,
  issueSchema,
  type JiraAttachment,
  type JiraComment,
  type JiraIssue,
  type JiraTransition,
  transitionsSchema,
} from '../schemas.js';
import { type CallOptions, callOptions, type JiraContext, seg } from './context.js';

/** Jira's `fields` and `update` maps are per-field and instance-specific (custom fields). */
export type IssueFields = Record<string, unknown>;
export type IssueUpdate = Record<string, unknown[]>;

export async function createIssue(
  ctx: JiraContext,
  input: { fields: IssueFields; update?: IssueUpdate },
  o?: CallOptions,
): Promise<CreatedIssue> {
  const res = await ctx.transport.request({
    method: 'POST',
    path: '/rest/api/2/issue',
    json: input,
    schema: createdIssueSchema,
    ...callOptions(o),
  });
  return res.data;
}

export async function getIssue(
  ctx: JiraContext,
  issueIdOrKey: string,
  options: { fields?: readonly string[]; expand?: readonly string[] } & CallOptions = {},
): Promise<JiraIssue> {
  const res = await ctx.transport.request({
    method: 'GET',
    path: `/rest/api/2/issue/${seg(issueIdOrKey)}`,
    query: { fields: options.fields, expand: options.expand },
    schema: issueSchema,
    ...callOptions(options),
  });
  return res.data;
}

export async function editIssue(
  ctx: JiraContext,
  issueIdOrKey: string,
  input: { fields?: IssueFields; update?: IssueUpdate },
  options: { notifyUsers?: boolean } & CallOptions = {},
): Promise<void> {
  await ctx.transport.request({
    method: 'PUT',
    path: `/rest/api/2/issue/${seg(issueIdOrKey)}`,
    query: { notifyUsers: options.notifyUsers },
    json: input,
    ...callOptions(options),
  });
}

export async function getTransitions(
  ctx: JiraContext,
  issueIdOrKey: string,
  options: { withFields?: boolean } & CallOptions = {},
): Promise<JiraTransition[]> {
  const res = await ctx.transport.request({
    method: 'GET',
    path: `/rest/api/2/issue/${seg(issueIdOrKey)}/transitions`,
    query: { expand: options.withFields ? 'transitions.fields' : undefined },
    schema: transitionsSchema,
    ...callOptions(options),
  });
  return res.data.transitions;
}

export async function transitionIssue(
  ctx: JiraContext,
  issueIdOrKey: string,
  input: { transitionId: string; fields?: IssueFields; update?: IssueUpdate },
  o?: CallOptions,
): Promise<void> {
  await ctx.transport.request({
    method: 'POST',
    path: `/rest/api/2/issue/${seg(issueIdOrKey)}/transitions`,
    json: {
      transition: { id: input.transitionId },
      ...(input.fields ? { fields: input.fields } : {}),
      ...(input.update ? { update: input.update } : {}),
    },
    ...callOptions(o),
  });
}

/** Comment body in wiki markup (API v2 on every deployment, so no ADF needed). */
export async function addComment(
  ctx: JiraContext,
  issueIdOrKey: string,
  body: string,
  o?: CallOptions,
): Promise<JiraComment> {
  const res = await ctx.transport.request({
    method: 'POST',
    path: `/rest/api/2/issue/${seg(issueIdOrKey)}/comment`,
    json: { body },
    schema: commentSchema,
    ...callOptions(o),
  });
  return res.data;
}

export type AttachmentInput = { filename: string; content: Uint8Array | Blob; contentType?: string };

export async function addAttachment(
  ctx: JiraContext,
  issueIdOrKey: string,
  file: AttachmentInput,
  o?: CallOptions,
): Promise<JiraAttachment[]> {
  const filename = file.filename.trim();
  if (!filename) {
    throw new AppError('jira_attachment_invalid', 'The attachment has no file name.', {
      hint: 'Give the file a name before attaching it.',
      status: 400,
    });
  }
  const blob =
    file.content instanceof Blob
      ? file.content
      : // Copy into a plain ArrayBuffer: a view over a SharedArrayBuffer is not a valid BlobPart.
        new Blob([Uint8Array.from(file.content)], { type: file.contentType ?? 'application/octet-stream' });
  const form = new FormData();
  // Jira only reads the part named "file".
  form.append('file', blob, filename);
  const res = await ctx.transport.request({
    method: 'POST',
    path: `/rest/api/2/issue/${seg(issueIdOrKey)}/attachments`,
    multipart: form,
    schema: z.array(attachmentSchema),
    ...callOptions(o),
  });
  return res.data;
}

/**
 * Links two issues with a link type by name (e.g. "Relates", "Blocks"). For a directional
 * type, outward reads "outwardIssue <outward description> inwardIssue".
 */
export async function createIssueLink(
  ctx: JiraContext,
  input: { type: string; inwardIssue: string; outwardIssue: string; comment?: string },
  o?: CallOptions,
): Promise<void> {
  await ctx.transport.request({
    method: 'POST',
    path: '/rest/api/2/issueLink',
    json: {
      type: { name: input.type },
      inwardIssue: { key: input.inwardIssue },
      outwardIssue: { key: input.outwardIssue },
      ...(input.comment ? { comment: { body: input.comment } } : {}),
    },
    ...callOptions(o),
  });
}
