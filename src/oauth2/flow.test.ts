import { describe, expect, it } from 'vitest';
import { dataCenterProvider } from './datacenter.js';
import { OAuth2Error } from './errors.js';
import { isLoopbackHost, refreshTokens } from './flow.js';

const creds = { clientId: 'id', clientSecret: 'secret', redirectUri: 'http://127.0.0.1:2/cb' };

describe('OAuth 2.0 token endpoint answers that cannot be used', () => {
  it('reports a malformed success answer without keeping the tokens it contained', async () => {
    const fetch = async () =>
      Response.json({ access_token: 'leaked-access-token', token_type: 'Bearer', expires_in: 'soon' });
    const e = await refreshTokens(dataCenterProvider('http://127.0.0.1:1'), creds, 'rt', { fetch }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(OAuth2Error);
    expect((e as OAuth2Error).code).toBe('oauth2_invalid_response');
    expect((e as OAuth2Error).cause).toBeUndefined();
    expect(JSON.stringify((e as OAuth2Error).toBody())).not.toContain('leaked-access-token');
  });

  it('reports an HTML page from the token URL as an invalid response', async () => {
    const fetch = async () => new Response('<html>login</html>', { status: 200 });
    const e = await refreshTokens(dataCenterProvider('http://127.0.0.1:1'), creds, 'rt', { fetch }).catch(
      (x: unknown) => x,
    );
    expect((e as OAuth2Error).code).toBe('oauth2_invalid_response');
  });
});

describe('isLoopbackHost', () => {
  it('accepts only loopback names and addresses', () => {
    for (const h of ['localhost', 'jira.localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1']) {
      expect(isLoopbackHost(h)).toBe(true);
    }
    for (const h of [
      'jira.example.com',
      '10.0.0.1',
      '127.0.0.1.example.com',
      'localhost.example.com',
      '::2',
    ]) {
      expect(isLoopbackHost(h)).toBe(false);
    }
  });
});
