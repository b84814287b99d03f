/**
 * The seam for filing defects into Jira from failed executions. Filing now lives in
 * defects-filing.ts (POST /api/executions/:id/defects); `notYetDefectFiler` remains only for
 * callers built against the seam before it was filled.
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
