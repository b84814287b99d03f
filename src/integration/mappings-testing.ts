/** Test support: a Testbridge project mapped to a Jira project, inserted directly. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import {
  DEFAULT_DEFECT_TYPES,
  DEFAULT_REQUIREMENT_TYPES,
  freshMappingState,
  getMapping,
  type Mapping,
  SYNCABLE_FIELDS,
} from './mappings-model.js';

export async function insertTestMapping(
  db: Kysely<Database>,
  options: {
    jiraInstanceId?: string;
    jiraProjectId?: string;
    jiraProjectKey?: string;
    versionMode?: 'all' | 'unarchived' | 'none';
    syncedFields?: string[];
    requirementTypes?: string[];
    defectTypes?: string[];
  } = {},
): Promise<Mapping> {
  const now = new Date().toISOString();
  const projectId = randomUUID();
  const suffix = randomBytes(4).toString('hex').toUpperCase();
  await db
    .insertInto('tm_projects')
    .values({
      id: projectId,
      key: `T${suffix}`,
      name: `Test ${suffix}`,
      description: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const id = randomUUID();
  await db
    .insertInto('sync_mappings')
    .values({
      id,
      project_id: projectId,
      jira_instance_id: options.jiraInstanceId ?? 'inst-1',
      jira_project_id: options.jiraProjectId ?? `p-${suffix}`,
      jira_project_key: options.jiraProjectKey ?? 'PROJ',
      jira_project_name: 'Project',
      requirement_types: JSON.stringify(options.requirementTypes ?? DEFAULT_REQUIREMENT_TYPES),
      defect_types: JSON.stringify(options.defectTypes ?? DEFAULT_DEFECT_TYPES),
      extra_jql: null,
      version_mode: options.versionMode ?? 'all',
      synced_fields: JSON.stringify(options.syncedFields ?? SYNCABLE_FIELDS),
      state: 'active',
      alert: null,
      webhook_mode: 'manual',
      webhook_token: randomBytes(24).toString('base64url'),
      webhook_state: 'unverified',
      ...freshMappingState(now),
    })
    .execute();
  return getMapping(db, id);
}
