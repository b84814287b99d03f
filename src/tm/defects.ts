/**
 * The seam for filing defects into Jira from failed executions (a later issue: createmeta
 * form, attachments, link to the requirement's issue, idempotency key). Nothing here files
 * anything yet; the server answers 501 through this so the UI can show the button disabled.
 */
import { AppError } from '../errors.js';

export type DefectFilingRequest = {
  executionId: string;
  /** Jira issue type for the defect (one of the mapping's defect types). */
  issueType: string;
  summary: string;
  description?: string;
};

export interface DefectFiler {
  file(request: DefectFilingRequest): Promise<{ jiraIssueId: string; jiraKey: string }>;
}

export const notYetDefectFiler: DefectFiler = {
  async file() {
    throw new AppError('not_implemented', 'Filing defects into Jira from failed runs is not available yet.', {
      status: 501,
      hint: 'Create the defect in Jira for now; it is synced back here as a defect of the mapped project.',
    });
  },
};
