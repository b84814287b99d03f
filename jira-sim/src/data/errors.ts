/**
 * Jira's error body: `{"errorMessages":[...],"errors":{...}}`. Clients (python-jira,
 * Testbridge's JiraClient) parse exactly this shape, so every refusal of the data side
 * goes through JiraError rather than Testbridge's own `{ error: {...} }` shape.
 */
export type JiraErrorBody = { errorMessages: string[]; errors: Record<string, string> };

export class JiraError extends Error {
  readonly status: number;
  readonly errorMessages: string[];
  readonly errors: Record<string, string>;

  constructor(status: number, errorMessages: string[], errors: Record<string, string> = {}) {
    super(errorMessages[0] ?? Object.values(errors)[0] ?? `HTTP ${status}`);
    this.name = 'JiraError';
    this.status = status;
    this.errorMessages = errorMessages;
    this.errors = errors;
  }

  toBody(): JiraErrorBody {
    return { errorMessages: this.errorMessages, errors: this.errors };
  }
}

export const badRequest = (message: string) => new JiraError(400, [message]);
export const fieldErrors = (errors: Record<string, string>) => new JiraError(400, [], errors);
export const forbidden = (message: string) => new JiraError(403, [message]);
export const notFound = (message: string) => new JiraError(404, [message]);
export const unauthenticated = () =>
  new JiraError(401, ['You are not authenticated. Authentication required to perform this operation.']);
export const issueNotFound = () => notFound('Issue does not exist or you do not have permission to see it.');
