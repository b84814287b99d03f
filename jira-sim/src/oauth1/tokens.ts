import { randomBytes } from 'node:crypto';

/** Jira's access tokens last five years; it says so in the access-token response. */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 157_680_000;
/** Request tokens are short-lived in Jira (ten minutes to authorize). */
export const REQUEST_TOKEN_LIFETIME_MS = 10 * 60 * 1000;
/** RFC 5849 leaves the window to the server; Jira accepts five minutes either way. */
export const TIMESTAMP_WINDOW_SECONDS = 300;

export type RequestToken = {
  token: string;
  secret: string;
  consumerKey: string;
  callback: string;
  state: 'unauthorized' | 'authorized' | 'denied';
  verifier: string | undefined;
  userName: string | undefined;
  createdAt: number;
};

export type AccessToken = {
  token: string;
  secret: string;
  consumerKey: string;
  userName: string;
  sessionHandle: string;
  createdAt: number;
  expiresAt: number;
};

const random = (bytes: number) => randomBytes(bytes).toString('base64url');

export function createOAuth1Store() {
  const requestTokens = new Map<string, RequestToken>();
  const accessTokens = new Map<string, AccessToken>();
  // consumerKey + nonce + timestamp seen inside the timestamp window.
  const nonces = new Map<string, number>();

  return {
    issueRequestToken(consumerKey: string, callback: string, now: number): RequestToken {
      const token: RequestToken = {
        token: random(24),
        secret: random(24),
        consumerKey,
        callback,
        state: 'unauthorized',
        verifier: undefined,
        userName: undefined,
        createdAt: now,
      };
      requestTokens.set(token.token, token);
      return token;
    },
    requestToken: (token: string) => requestTokens.get(token),
    consumeRequestToken: (token: string) => requestTokens.delete(token),
    issueAccessToken(consumerKey: string, userName: string, now: number): AccessToken {
      const token: AccessToken = {
        token: random(24),
        secret: random(24),
        consumerKey,
        userName,
        sessionHandle: random(24),
        createdAt: now,
        expiresAt: now + ACCESS_TOKEN_LIFETIME_SECONDS * 1000,
      };
      accessTokens.set(token.token, token);
      return token;
    },
    accessToken: (token: string) => accessTokens.get(token),
    accessTokens: () => [...accessTokens.values()],
    revoke: (token: string) => accessTokens.delete(token) || requestTokens.delete(token),
    revokeConsumer(consumerKey: string) {
      for (const [key, value] of accessTokens)
        if (value.consumerKey === consumerKey) accessTokens.delete(key);
      for (const [key, value] of requestTokens)
        if (value.consumerKey === consumerKey) requestTokens.delete(key);
    },
    /** Records the nonce; false when it was already used inside the window. */
    recordNonce(consumerKey: string, nonce: string, timestamp: number, nowSeconds: number): boolean {
      if (nonces.size > 10_000) {
        for (const [key, seen] of nonces)
          if (seen < nowSeconds - 2 * TIMESTAMP_WINDOW_SECONDS) nonces.delete(key);
      }
      const key = `${consumerKey}\n${nonce}\n${timestamp}`;
      if (nonces.has(key)) return false;
      nonces.set(key, timestamp);
      return true;
    },
    clear() {
      requestTokens.clear();
      accessTokens.clear();
      nonces.clear();
    },
  };
}

export type OAuth1Store = ReturnType<typeof createOAuth1Store>;
