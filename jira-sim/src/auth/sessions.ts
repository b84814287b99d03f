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
