import { ApiError } from '../api.js';

/** What went wrong and what to do, exactly as the server worded them. */
export function describeError(err: unknown): { message: string; hint: string | undefined } {
  if (err instanceof ApiError) {
    // A 429's wait is in the server's hint and in the sign-in button's countdown.
    return { message: err.message, hint: err.hint };
  }
  return {
    message: 'Something went wrong in this page.',
    hint: 'Reload the page; if it keeps happening, report it with what you were doing.',
  };
}

export function ErrorNotice({ error, id }: { error: unknown; id?: string }) {
  const { message, hint } = describeError(error);
  return (
    <div className="notice notice-error" role="alert" id={id}>
      <p className="notice-message">{message}</p>
      {hint ? <p className="notice-hint">{hint}</p> : null}
    </div>
  );
}
