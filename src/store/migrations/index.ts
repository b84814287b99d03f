import type { Kysely } from 'kysely';
import * as m0001 from './0001_accounts.js';
import * as m0010 from './0010_jira_instances.js';
import * as m0020 from './0020_tm.js';
import * as m0021 from './0021_mappings.js';
import * as m0022 from './0022_sync_leases.js';
import * as m0030 from './0030_inbox.js';
import * as m0040 from './0040_defect_filings.js';

export type StoreMigration = { name: string; up: (db: Kysely<unknown>) => Promise<void> };

/**
 * Every migration, in order. Append only: never rename, reorder or edit one that has
 * shipped, because databases record the names they have run. Name new files
 * `NNNN_what.ts` with the next number and add them at the end of this list.
 */
export const migrations: StoreMigration[] = [
  { name: '0001_accounts', up: m0001.up },
  { name: '0010_jira_instances', up: m0010.up },
  { name: '0020_tm', up: m0020.up },
  { name: '0021_mappings', up: m0021.up },
  { name: '0022_sync_leases', up: m0022.up },
  { name: '0030_inbox', up: m0030.up },
  { name: '0040_defect_filings', up: m0040.up },
];
