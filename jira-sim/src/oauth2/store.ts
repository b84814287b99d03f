import { randomBytes } from 'node:crypto';

/** Cloud 3LO and Data Center access tokens both last an hour. */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3600;
export const AUTHORIZATION_CODE_LIFETIME_MS = 10 * 60 * 1000;
/** Atlassian's rotating refresh tokens expire after 90 days without use. */
export const REFRESH_TOKEN_LIFETIME_MS = 90 * 24 * 3600 * 1000;

export type OAuth2Kind = 'cloud' | 'dc';

export type OAuth2Client = {
  clientId: string;
  clientSecret: string;
  name: string;
  redirectUris: string[];
  kind: OAuth2Kind;
  createdAt: number;
};

export type AuthorizationCode = {
  code: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  userName: string;
  expiresAt: number;
  codeChallenge: string | undefined;
};

export type OAuth2AccessToken = {
  token: string;
  clientId: string;
  userName: string;
  scopes: string[];
  kind: OAuth2Kind;
  expiresAt: number;
};

export type RefreshToken = {
  token: string;
  clientId: string;
  userName: string;
  scopes: string[];
  kind: OAuth2Kind;
  expiresAt: number;
  /** Rotation: a refresh token works once; using it again is refused with invalid_grant. */
  used: boolean;
};

const random = (bytes: number) => randomBytes(bytes).toString('base64url');

export function createOAuth2Store() {
  const clients = new Map<string, OAuth2Client>();
  const codes = new Map<string, AuthorizationCode>();
  const accessTokens = new Map<string, OAuth2AccessToken>();
  const refreshTokens = new Map<string, RefreshToken>();

  return {
    registerClient(
      input: { name: string; redirectUris: string[]; kind: OAuth2Kind },
      now: number,
    ): OAuth2Client {
      const client: OAuth2Client = {
        clientId: random(24),
        clientSecret: random(48),
        name: input.name,
        redirectUris: input.redirectUris,
        kind: input.kind,
        createdAt: now,
      };
      clients.set(client.clientId, client);
      return client;
    },
    client: (clientId: string) => clients.get(clientId),
    clients: () => [...clients.values()],
    deleteClient(clientId: string): boolean {
      for (const [key, value] of accessTokens) if (value.clientId === clientId) accessTokens.delete(key);
      for (const [key, value] of refreshTokens) if (value.clientId === clientId) refreshTokens.delete(key);
      return clients.delete(clientId);
    },
    issueCode(input: Omit<AuthorizationCode, 'code' | 'expiresAt'>, now: number): AuthorizationCode {
      const code: AuthorizationCode = {
        ...input,
        code: random(32),
        expiresAt: now + AUTHORIZATION_CODE_LIFETIME_MS,
      };
      codes.set(code.code, code);
      return code;
    },
    /** Codes are single-use: taking one removes it. */
    takeCode(code: string): AuthorizationCode | undefined {
      const found = codes.get(code);
      codes.delete(code);
      return found;
    },
    issueTokens(
      input: { clientId: string; userName: string; scopes: string[]; kind: OAuth2Kind; withRefresh: boolean },
      now: number,
    ): { access: OAuth2AccessToken; refresh: RefreshToken | undefined } {
      const access: OAuth2AccessToken = {
        token: random(48),
        clientId: input.clientId,
        userName: input.userName,
        scopes: input.scopes,
        kind: input.kind,
        expiresAt: now + ACCESS_TOKEN_LIFETIME_SECONDS * 1000,
      };
      accessTokens.set(access.token, access);
      let refresh: RefreshToken | undefined;
      if (input.withRefresh) {
        refresh = {
          token: random(48),
          clientId: input.clientId,
          userName: input.userName,
          scopes: input.scopes,
          kind: input.kind,
          expiresAt: now + REFRESH_TOKEN_LIFETIME_MS,
          used: false,
        };
        refreshTokens.set(refresh.token, refresh);
      }
      return { access, refresh };
    },
    accessToken: (token: string) => accessTokens.get(token),
    refreshToken: (token: string) => refreshTokens.get(token),
    revoke: (token: string) => accessTokens.delete(token) || refreshTokens.delete(token),
    clear() {
      clients.clear();
      codes.clear();
      accessTokens.clear();
      refreshTokens.clear();
    },
  };
}

export type OAuth2Store = ReturnType<typeof createOAuth2Store>;
