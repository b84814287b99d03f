import { type FormEvent, useState } from 'react';
import { checkKeys } from '../api.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Page } from '../components/Page.js';
import { type AuthInput, type AuthMode, createInstance } from '../jira-api.js';
import { Link, navigate } from '../router.js';

const MODES: { mode: AuthMode; title: string; help: string }[] = [
  {
    mode: 'oauth1',
    title: 'OAuth 1.0a application link',
    help: 'Jira Server, Data Center and Cloud. Recommended: Testbridge generates the keys and walks you through the link.',
  },
  {
    mode: 'oauth2-cloud',
    title: 'OAuth 2.0 (Jira Cloud app)',
    help: 'An OAuth 2.0 (3LO) app from developer.atlassian.com: its client id and secret.',
  },
  {
    mode: 'oauth2-dc',
    title: 'OAuth 2.0 (Data Center)',
    help: 'An incoming link of type "External application" in Jira Data Center 8.22 or later.',
  },
  {
    mode: 'pat',
    title: 'Personal access token',
    help: 'Jira Server/Data Center 8.14+: a token of the integration user.',
  },
  {
    mode: 'basic',
    title: 'E-mail and API token',
    help: 'Jira Cloud: the integration user’s e-mail and an API token.',
  },
];

/** A name the admin need not type: the Jira host is what they would call it anyway. */
function defaultName(url: string): string {
  try {
    return `Jira ${new URL(url).host}`;
  } catch {
    return 'Jira';
  }
}

type KeyState =
  | { status: 'empty' }
  | { status: 'checking' }
  | { status: 'ok'; text: string }
  | { status: 'bad'; error: unknown };

/**
 * Step 1 of connecting Jira: where it is and how Testbridge signs in. Everything after
 * (application link, authorization, diagnostics) lives on the instance page, driven by the
 * server's `setupStep`, so the admin can leave and come back where they were.
 */
export function JiraWizard() {
  const [mode, setMode] = useState<AuthMode>('oauth1');
  const [jiraUrl, setJiraUrl] = useState('');
  const [name, setName] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [consumerKey, setConsumerKey] = useState('testbridge');
  const [keySource, setKeySource] = useState<'generate' | 'paste'>('generate');
  const [privateKey, setPrivateKey] = useState('');
  const [keyState, setKeyState] = useState<KeyState>({ status: 'empty' });
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [token, setToken] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  // The key's own error as soon as it is pasted, not after a round trip to Jira.
  const checkPasted = async (pem: string) => {
    setPrivateKey(pem);
    if (!pem.trim()) return setKeyState({ status: 'empty' });
    setKeyState({ status: 'checking' });
    try {
      const facts = await checkKeys({ privateKey: pem });
      const k = facts.privateKey;
      setKeyState({
        status: 'ok',
        text: k ? `RSA ${k.bits}-bit private key, fingerprint ${k.fingerprint.sha256}` : 'Key accepted.',
      });
    } catch (err) {
      setKeyState({ status: 'bad', error: err });
    }
  };

  const auth = (): AuthInput => {
    switch (mode) {
      case 'oauth1':
        return {
          mode,
          consumerKey: consumerKey.trim(),
          ...(keySource === 'paste' && privateKey.trim() ? { privateKey } : {}),
        };
      case 'oauth2-cloud':
      case 'oauth2-dc':
        return { mode, clientId: clientId.trim(), clientSecret };
      case 'pat':
        return { mode, token };
      case 'basic':
        return { mode, username: username.trim(), password };
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await createInstance({
        name: name.trim() || defaultName(jiraUrl.trim()),
        jiraUrl: jiraUrl.trim(),
        ...(baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}),
        auth: auth(),
      });
      navigate(`/admin/jira/instances/${created.instance.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Page title="Add a Jira instance">
      <p className="lead">
        Where Jira is and how Testbridge signs in. The next screens walk you through the rest.
      </p>
      <form className="wizard-form" onSubmit={submit} aria-describedby={error ? 'wizard-error' : undefined}>
        <div className="field">
          <label htmlFor="jira-url">Jira URL</label>
          <input
            id="jira-url"
            type="url"
            required
            placeholder="https://jira.example.com"
            value={jiraUrl}
            onChange={(e) => setJiraUrl(e.target.value)}
            aria-describedby="jira-url-help"
          />
          <p className="muted small" id="jira-url-help">
            The address Testbridge reaches Jira at, including any context path such as /jira.
          </p>
        </div>
        <div className="field">
          <label htmlFor="instance-name">Name (optional)</label>
          <input
            id="instance-name"
            value={name}
            placeholder={jiraUrl ? defaultName(jiraUrl) : 'Jira (production)'}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <fieldset className="auth-modes">
          <legend>How Testbridge signs in to Jira</legend>
          {MODES.map((m) => (
            <label key={m.mode} className="auth-mode">
              <input
                type="radio"
                name="auth-mode"
                value={m.mode}
                checked={mode === m.mode}
                onChange={() => setMode(m.mode)}
              />
              <span>
                <strong>{m.title}</strong>
                <span className="muted small block">{m.help}</span>
              </span>
            </label>
          ))}
        </fieldset>

        {mode === 'oauth1' ? (
          <fieldset>
            <legend>Application link</legend>
            <div className="field">
              <label htmlFor="consumer-key">Consumer key</label>
              <input
                id="consumer-key"
                required
                value={consumerKey}
                onChange={(e) => setConsumerKey(e.target.value)}
              />
            </div>
            <label className="inline-choice">
              <input
                type="radio"
                name="key-source"
                checked={keySource === 'generate'}
                onChange={() => setKeySource('generate')}
              />{' '}
              Generate the RSA key pair for me (the private key never leaves Testbridge)
            </label>
            <label className="inline-choice">
              <input
                type="radio"
                name="key-source"
                checked={keySource === 'paste'}
                onChange={() => setKeySource('paste')}
              />{' '}
              Use my own private key
            </label>
            {keySource === 'paste' ? (
              <div className="field">
                <label htmlFor="private-key">Private key (PEM)</label>
                <textarea
                  id="private-key"
                  rows={6}
                  spellCheck={false}
                  autoComplete="off"
                  value={privateKey}
                  onChange={(e) => void checkPasted(e.target.value)}
                  aria-describedby="private-key-state"
                  aria-invalid={keyState.status === 'bad'}
                />
                <div id="private-key-state" aria-live="polite">
                  {keyState.status === 'checking' ? <p className="muted small">Checking the key…</p> : null}
                  {keyState.status === 'ok' ? <p className="small good-text">{keyState.text}</p> : null}
                  {keyState.status === 'bad' ? <ErrorNotice error={keyState.error} /> : null}
                </div>
              </div>
            ) : null}
            <details>
              <summary>Jira behind a proxy or a different public address?</summary>
              <div className="field">
                <label htmlFor="base-url">Jira base URL (what Jira calls itself)</label>
                <input
                  id="base-url"
                  type="url"
                  value={baseUrl}
                  placeholder="same as the Jira URL"
                  onChange={(e) => setBaseUrl(e.target.value)}
                />
                <p className="muted small">
                  Jira’s Administration → System → Base URL. OAuth 1.0a signatures are checked against it.
                </p>
              </div>
            </details>
          </fieldset>
        ) : null}

        {mode === 'oauth2-cloud' || mode === 'oauth2-dc' ? (
          <fieldset>
            <legend>OAuth 2.0 app</legend>
            <div className="field">
              <label htmlFor="client-id">Client ID</label>
              <input id="client-id" required value={clientId} onChange={(e) => setClientId(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="client-secret">Client secret</label>
              <input
                id="client-secret"
                type="password"
                required
                autoComplete="off"
                value={clientSecret}
                onChange={(e) => setClientSecret(e.target.value)}
              />
            </div>
          </fieldset>
        ) : null}

        {mode === 'pat' ? (
          <div className="field">
            <label htmlFor="pat">Personal access token</label>
            <input
              id="pat"
              type="password"
              required
              autoComplete="off"
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
          </div>
        ) : null}

        {mode === 'basic' ? (
          <fieldset>
            <legend>Integration user</legend>
            <div className="field">
              <label htmlFor="basic-user">E-mail</label>
              <input
                id="basic-user"
                required
                value={username}
                onChange={(e) => setUsername(e.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor="basic-password">API token</label>
              <input
                id="basic-password"
                type="password"
                required
                autoComplete="off"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </div>
          </fieldset>
        ) : null}

        {error ? <ErrorNotice error={error} id="wizard-error" /> : null}
        <div className="form-actions">
          <button
            type="submit"
            className="button button-primary"
            disabled={busy || (keySource === 'paste' && keyState.status === 'bad')}
          >
            {busy ? 'Adding…' : 'Add instance'}
          </button>
          <Link to="/admin/jira" className="button">
            Cancel
          </Link>
        </div>
      </form>
    </Page>
  );
}
