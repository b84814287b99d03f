/**
 * One error shape for the whole product: `{ error: { code, message, hint } }`.
 * `code` is a stable machine-readable constant tests can assert on; `message` says what
 * happened; `hint` says what to do. None of the three may ever contain a secret.
 */
export type ErrorBody = { error: { code: string; message: string; hint?: string } };

export class AppError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly status: number;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.hint = options.hint;
    this.status = options.status ?? 400;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) } };
  }
}

export const notFound = (what: string, hint?: string) =>
  new AppError('not_found', `${what} was not found.`, {
    status: 404,
    hint: hint ?? 'Check the id or name and try again.',
  });

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
