import { randomBytes } from 'node:crypto';

export type PersonalAccessToken = {
  id: number;
  name: string;
  userName: string;
  rawToken: string;
  createdAt: number;
  expiringAt: number | undefined;
  lastAccessedAt: number | undefined;
};

export function createPatStore() {
  const tokens = new Map<number, PersonalAccessToken>();
  let nextId = 1;
  return {
    create(
      input: { name: string; userName: string; expirationDays?: number },
      now: number,
    ): PersonalAccessToken {
      const id = nextId++;
      // Jira DC tokens are 44 base64 characters: an id prefix and random bytes.
      const rawToken = Buffer.concat([Buffer.from(`${100000000000 + id}:`), randomBytes(20)]).toString(
        'base64',
      );
      const token: PersonalAccessToken = {
        id,
        name: input.name,
        userName: input.userName,
        rawToken,
        createdAt: now,
        expiringAt: input.expirationDays === undefined ? undefined : now + input.expirationDays * 86_400_000,
        lastAccessedAt: undefined,
      };
      tokens.set(id, token);
      return token;
    },
    byRawToken(rawToken: string): PersonalAccessToken | undefined {
      for (const token of tokens.values()) if (token.rawToken === rawToken) return token;
      return undefined;
    },
    get: (id: number) => tokens.get(id),
    list: (userName?: string) =>
      [...tokens.values()].filter((t) => userName === undefined || t.userName === userName),
    delete: (id: number) => tokens.delete(id),
    clear() {
      tokens.clear();
      nextId = 1;
    },
  };
}

export type PatStore = ReturnType<typeof createPatStore>;

/** Jira's PAT JSON; the raw token only ever appears in the creation response. */
export function patJson(token: PersonalAccessToken, includeRaw = false) {
  return {
    id: token.id,
    name: token.name,
    createdAt: new Date(token.createdAt).toISOString().replace('Z', '+0000'),
    ...(token.expiringAt === undefined
      ? {}
      : { expiringAt: new Date(token.expiringAt).toISOString().replace('Z', '+0000') }),
    ...(token.lastAccessedAt === undefined
      ? {}
      : { lastAccessedAt: new Date(token.lastAccessedAt).toISOString().replace('Z', '+0000') }),
    ...(includeRaw ? { rawToken: token.rawToken } : {}),
  };
}
