import { randomBytes } from 'node:crypto';

/** Browser sessions from the sign-in form (JSESSIONID), as the authorize pages need. */
export function createSessionStore() {
  const sessions = new Map<string, string>();
  return {
    open(userName: string): string {
      const id = randomBytes(18).toString('hex').toUpperCase();
      sessions.set(id, userName);
      return id;
    },
    userName: (id: string) => sessions.get(id),
    close: (id: string) => sessions.delete(id),
    clear: () => sessions.clear(),
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;

export const SESSION_COOKIE = 'JSESSIONID';

/** Consecutive failed Basic logins per user (Jira Server's CAPTCHA trigger). */
export function createFailedLogins() {
  const failures = new Map<string, number>();
  return {
    count: (userName: string) => failures.get(userName) ?? 0,
    fail: (userName: string) => failures.set(userName, (failures.get(userName) ?? 0) + 1),
    clear: (userName: string) => failures.delete(userName),
    reset: () => failures.clear(),
  };
}
