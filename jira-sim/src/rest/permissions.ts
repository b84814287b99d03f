import type { Hono } from 'hono';
import { PERMISSIONS, type Permission, type SimEnv } from '../context.js';
import type { Core } from '../core.js';
import { NOT_AUTHENTICATED, jiraError } from '../http.js';

type PermissionInfo = { id: string; name: string; type: 'PROJECT' | 'GLOBAL'; description: string };

// Ids and texts as Jira ships them, so clients matching on either see the real values.
export const PERMISSION_INFO: Record<Permission, PermissionInfo> = {
  BROWSE_PROJECTS: {
    id: '10',
    name: 'Browse Projects',
    type: 'PROJECT',
    description: 'Ability to browse projects and the issues within them.',
  },
  CREATE_ISSUES: {
    id: '11',
    name: 'Create Issues',
    type: 'PROJECT',
    description: 'Ability to create issues.',
  },
  EDIT_ISSUES: { id: '12', name: 'Edit Issues', type: 'PROJECT', description: 'Ability to edit issues.' },
  ASSIGN_ISSUES: {
    id: '13',
    name: 'Assign Issues',
    type: 'PROJECT',
    description: 'Ability to assign issues to other people.',
  },
  ADD_COMMENTS: {
    id: '15',
    name: 'Add Comments',
    type: 'PROJECT',
    description: 'Ability to comment on issues.',
  },
  DELETE_ISSUES: {
    id: '16',
    name: 'Delete Issues',
    type: 'PROJECT',
    description: 'Ability to delete issues.',
  },
  ASSIGNABLE_USER: {
    id: '17',
    name: 'Assignable User',
    type: 'PROJECT',
    description: 'Users with this permission may be assigned to issues.',
  },
  CREATE_ATTACHMENTS: {
    id: '19',
    name: 'Create Attachments',
    type: 'PROJECT',
    description: 'Users with this permission may create attachments.',
  },
  LINK_ISSUES: {
    id: '21',
    name: 'Link Issues',
    type: 'PROJECT',
    description:
      'Ability to link issues together and create linked issues. Only useful if issue linking is turned on.',
  },
  ADMINISTER_PROJECTS: {
    id: '23',
    name: 'Administer Projects',
    type: 'PROJECT',
    description: 'Ability to administer a project in Jira.',
  },
  MOVE_ISSUES: {
    id: '25',
    name: 'Move Issues',
    type: 'PROJECT',
    description:
      'Ability to move issues between projects or between workflows of the same project (if applicable).',
  },
  TRANSITION_ISSUES: {
    id: '46',
    name: 'Transition Issues',
    type: 'PROJECT',
    description: 'Ability to transition issues.',
  },
  ADMINISTER: {
    id: '0',
    name: 'Administer Jira',
    type: 'GLOBAL',
    description:
      'Create and administer projects, issue types, fields, workflows, and schemes for all projects. Users with this permission can perform most administration tasks, except: managing users, importing data, and editing system email settings.',
  },
};

const isPermission = (key: string): key is Permission => (PERMISSIONS as readonly string[]).includes(key);

/** `GET /rest/api/{2,3,latest}/mypermissions`: what the caller may do, globally or in one project. */
export function registerMyPermissions(app: Hono<SimEnv>, core: Core): void {
  const { ctx } = core;
  app.get('/rest/api/:version/mypermissions', (c) => {
    const version = c.req.param('version');
    if (!apiVersionExists(core, version)) return c.notFound();
    const requested = c.req.query('permissions');
    if (ctx.flavor === 'cloud' && (requested === undefined || requested.trim() === '')) {
      return jiraError(c, 400, ["The 'permissions' query parameter is required."]);
    }
    let keys: Permission[] = [...PERMISSIONS];
    if (requested !== undefined && requested.trim() !== '') {
      const asked = requested
        .split(',')
        .map((key) => key.trim())
        .filter((key) => key !== '');
      const unknown = asked.filter((key) => !isPermission(key));
      if (unknown.length > 0) {
        return jiraError(
          c,
          400,
          unknown.map((key) => `Permission '${key}' does not exist.`),
        );
      }
      keys = asked.filter(isPermission);
    }

    let projectKey: string | undefined;
    const projectId = c.req.query('projectId');
    const projectKeyParam = c.req.query('projectKey');
    if (projectId !== undefined || projectKeyParam !== undefined) {
      const wanted = (projectId ?? projectKeyParam)!;
      if (core.data?.findProject) {
        const project = core.data.findProject(wanted);
        if (!project) {
          return jiraError(c, 404, [
            projectId !== undefined
              ? `No project could be found with id '${wanted}'.`
              : `No project could be found with key '${wanted}'.`,
          ]);
        }
        projectKey = project.key;
      } else {
        projectKey = wanted;
      }
    }

    const user = c.get('user');
    const permissions: Record<string, unknown> = {};
    for (const key of keys) {
      const info = PERMISSION_INFO[key];
      permissions[key] = {
        id: info.id,
        key,
        name: info.name,
        type: info.type,
        description: info.description,
        havePermission: user !== undefined && ctx.hasPermission(user, key, projectKey),
      };
    }
    return c.json({ permissions });
  });
}

/** `GET /rest/api/{2,3}/permissions`: every permission Jira knows, for clients that list them first. */
export function registerAllPermissions(app: Hono<SimEnv>, core: Core): void {
  app.get('/rest/api/:version/permissions', (c) => {
    if (!apiVersionExists(core, c.req.param('version'))) return c.notFound();
    if (!c.get('user')) return jiraError(c, 401, [NOT_AUTHENTICATED]);
    const permissions: Record<string, unknown> = {};
    for (const key of PERMISSIONS) {
      const info = PERMISSION_INFO[key];
      permissions[key] = { key, name: info.name, type: info.type, description: info.description };
    }
    return c.json({ permissions });
  });
}

/** Cloud serves REST API 2 and 3; Server and Data Center have 2 (and `latest`) only. */
export function apiVersionExists(core: Core, version: string): boolean {
  return version === '2' || version === 'latest' || (version === '3' && core.ctx.flavor === 'cloud');
}
