import {
  type MyPermissions,
  myPermissionsSchema,
  type JiraUser,
  type ServerInfo,
  serverInfoSchema,
  userSchema,
} from '../schemas.js';
import { type CallOptions, callOptions, type JiraContext } from './context.js';

/**
 * The permissions Testbridge's features rely on (seed: browse, assign, edit, link, move,
 * transition, comment, attach; create for defects; ADMINISTER for admin webhooks).
 */
export const TESTBRIDGE_PERMISSIONS = [
  'BROWSE_PROJECTS',
  'CREATE_ISSUES',
  'ASSIGNABLE_USER',
  'ASSIGN_ISSUES',
  'EDIT_ISSUES',
  'LINK_ISSUES',
  'MOVE_ISSUES',
  'TRANSITION_ISSUES',
  'ADD_COMMENTS',
  'CREATE_ATTACHMENTS',
  'ADMINISTER',
] as const;

export async function serverInfo(ctx: JiraContext, o?: CallOptions): Promise<ServerInfo> {
  const res = await ctx.transport.request({
    method: 'GET',
    path: '/rest/api/2/serverInfo',
    schema: serverInfoSchema,
    ...callOptions(o),
  });
  return res.data;
}

export async function myself(ctx: JiraContext, o?: CallOptions): Promise<JiraUser> {
  const res = await ctx.transport.request({
    method: 'GET',
    path: '/rest/api/2/myself',
    schema: userSchema,
    ...callOptions(o),
  });
  return res.data;
}

/**
 * `permissions=` is always sent: Cloud rejects the call without it, and naming them keeps
 * Server from returning its whole permission scheme.
 */
export async function myPermissions(
  ctx: JiraContext,
  options: { permissions?: readonly string[]; projectKey?: string } & CallOptions = {},
): Promise<MyPermissions> {
  const permissions = options.permissions?.length ? options.permissions : TESTBRIDGE_PERMISSIONS;
  const res = await ctx.transport.request({
    method: 'GET',
    path: '/rest/api/2/mypermissions',
    query: { permissions, projectKey: options.projectKey },
    schema: myPermissionsSchema,
    ...callOptions(options),
  });
  return res.data;
}
