import { useEffect, useId, useMemo, useRef, useState } from 'react';
import {
  checkKeys,
  type GeneratedKeyPair,
  generateKeyPair,
  type KeyBits,
  type KeyCheck,
  type KeyFacts,
} from '../api.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Page } from '../components/Page.js';
import { Link } from '../router.js';

const SIZES: { bits: KeyBits; label: string; note: string }[] = [
  { bits: 2048, label: '2048 bits', note: 'Recommended: accepted by every Jira version.' },
  { bits: 4096, label: '4096 bits', note: 'Stronger; takes a few seconds to generate.' },
  { bits: 1024, label: '1024 bits', note: 'Weak: only for old Jira servers that refuse longer keys.' },
];

/** The file names the seed procedure and Jira's documentation use, so the steps line up. */
const FILES = {
  privateKey: { name: 'jira_privatekey.pcks8', type: 'application/pkcs8' },
  publicKey: { name: 'jira_publickey.pem', type: 'application/x-pem-file' },
  certificate: { name: 'jira_publickey.cer', type: 'application/pkix-cert' },
} as const;

async function copyText(text: string, fallbackTarget: HTMLTextAreaElement | null): Promise<boolean> {
  try {
    // Only available in secure contexts (https or localhost).
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!fallbackTarget) return false;
    fallbackTarget.focus();
    fallbackTarget.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

function GeneratedKeys({ pair }: { pair: GeneratedKeyPair }) {
  const bodyBox = useRef<HTMLTextAreaElement>(null);
  const [copyStatus, setCopyStatus] = useState<'idle' | 'copied' | 'failed'>('idle');
  const urls = useMemo(
    () => ({
      privateKey: URL.createObjectURL(new Blob([pair.privateKeyPem], { type: FILES.privateKey.type })),
      publicKey: URL.createObjectURL(new Blob([pair.publicKeyPem], { type: FILES.publicKey.type })),
      certificate: URL.createObjectURL(new Blob([pair.certificatePem], { type: FILES.certificate.type })),
    }),
    [pair],
  );
  useEffect(
    () => () => {
      for (const u of Object.values(urls)) URL.revokeObjectURL(u);
    },
    [urls],
  );

  const copy = async () => {
    setCopyStatus((await copyText(pair.publicKeyBody, bodyBox.current)) ? 'copied' : 'failed');
  };

  return (
    <section className="card result" aria-labelledby="result-title">
      <h2 id="result-title" tabIndex={-1}>
        Your key pair
      </h2>
      <dl className="facts">
        <dt>Fingerprint (SHA-256 of the public key)</dt>
        <dd>
          <code className="fingerprint" data-testid="fingerprint">
            {pair.fingerprint.sha256}
          </code>
          <br />
          <code className="fingerprint muted small">{pair.fingerprint.hex}</code>
        </dd>
      </dl>
      {pair.warnings.length > 0 ? (
        <div className="notice notice-warning" role="status">
          {pair.warnings.map((w) => (
            <p key={w} className="notice-message">
              {w}
            </p>
          ))}
        </div>
      ) : null}

      <h3>1. Paste the public key into Jira</h3>
      <p>
        In Jira's application link, under <em>Incoming authentication</em>, paste this into the{' '}
        <strong>Public Key</strong> box. It is the body of <code>{FILES.publicKey.name}</code> without its
        BEGIN and END lines, ready to paste.
      </p>
      <label htmlFor="public-key-body" className="visually-hidden">
        Public key for Jira
      </label>
      <textarea
        id="public-key-body"
        ref={bodyBox}
        className="key-text"
        readOnly
        rows={6}
        spellCheck={false}
        value={pair.publicKeyBody}
      />
      <div className="row">
        <button type="button" className="button button-primary" onClick={copy}>
          Copy public key
        </button>
        <span role="status" className="muted">
          {copyStatus === 'copied'
            ? 'Copied to the clipboard.'
            : copyStatus === 'failed'
              ? 'Copying is blocked here: the text is selected, press Ctrl+C (⌘C on a Mac).'
              : ''}
        </span>
      </div>

      <h3>2. Download the files</h3>
      <p>
        Keep <code>{FILES.privateKey.name}</code> safe: it is the private key you give Testbridge when you add
        the Jira instance, and it is not kept here or shown again.
      </p>
      <ul className="downloads">
        <li>
          <a className="button" href={urls.privateKey} download={FILES.privateKey.name}>
            Download {FILES.privateKey.name}
          </a>
          <span className="muted small">private key, PKCS#8</span>
        </li>
        <li>
          <a className="button" href={urls.publicKey} download={FILES.publicKey.name}>
            Download {FILES.publicKey.name}
          </a>
          <span className="muted small">public key, PEM</span>
        </li>
        <li>
          <a className="button" href={urls.certificate} download={FILES.certificate.name}>
            Download {FILES.certificate.name}
          </a>
          <span className="muted small">self-signed certificate</span>
        </li>
      </ul>
      <p>
        Next: <Link to="/admin/jira/new">add the Jira instance</Link>.
      </p>
    </section>
  );
}

const FORMATS: Record<string, string> = {
  pkcs8: 'PKCS#8',
  pkcs1: 'PKCS#1',
  spki: 'PEM',
  certificate: 'certificate',
};

function KeySummary({ label, facts }: { label: string; facts: KeyFacts }) {
  return (
    <div className={`notice ${facts.warnings.length > 0 ? 'notice-warning' : 'notice-ok'}`}>
      <p className="notice-message">
        {label}: a valid {facts.bits}-bit RSA key ({FORMATS[facts.format] ?? facts.format}), fingerprint{' '}
        <code className="fingerprint">{facts.fingerprint.sha256}</code>
      </p>
      {facts.warnings.map((w) => (
        <p key={w} className="notice-hint">
          {w}
        </p>
      ))}
    </div>
  );
}

function KeyChecker() {
  const privateId = useId();
  const publicId = useId();
  const [privateKey, setPrivateKey] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [result, setResult] = useState<{ ok: KeyCheck } | { error: unknown } | null>(null);
  const latest = useRef(0);

  useEffect(() => {
    const input = {
      ...(privateKey.trim() ? { privateKey } : {}),
      ...(publicKey.trim() ? { publicKey } : {}),
    };
    const ticket = ++latest.current;
    if (!input.privateKey && !input.publicKey) {
      setResult(null);
      return;
    }
    // Wait for the paste or typing to settle; answers to older text are dropped.
    const timer = setTimeout(() => {
      checkKeys(input).then(
        (ok) => ticket === latest.current && setResult({ ok }),
        (error: unknown) => ticket === latest.current && setResult({ error }),
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [privateKey, publicKey]);

  return (
    <section className="card" aria-labelledby="check-title">
      <h2 id="check-title">Check a key you already have</h2>
      <p>
        Paste a private key, a public key, or both to see whether Jira and Testbridge will accept them and
        whether they belong together. Keys are checked by this server and never stored.
      </p>
      <div className="two-columns">
        <div className="field">
          <label htmlFor={privateId}>Private key (PKCS#8 or PKCS#1 PEM)</label>
          <textarea
            id={privateId}
            className="key-text"
            rows={6}
            spellCheck={false}
            autoComplete="off"
            placeholder="-----BEGIN PRIVATE KEY-----"
            value={privateKey}
            onChange={(e) => setPrivateKey(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={publicId}>Public key (PEM, or the body Jira shows)</label>
          <textarea
            id={publicId}
            className="key-text"
            rows={6}
            spellCheck={false}
            autoComplete="off"
            placeholder="-----BEGIN PUBLIC KEY-----"
            value={publicKey}
            onChange={(e) => setPublicKey(e.target.value)}
          />
        </div>
      </div>
      <div aria-live="polite" data-testid="key-check-result">
        {result === null ? null : 'error' in result ? (
          <ErrorNotice error={result.error} />
        ) : (
          <>
            {result.ok.privateKey ? <KeySummary label="Private key" facts={result.ok.privateKey} /> : null}
            {result.ok.publicKey ? <KeySummary label="Public key" facts={result.ok.publicKey} /> : null}
            {result.ok.match === true ? (
              <div className="notice notice-ok">
                <p className="notice-message">The two keys are one pair.</p>
              </div>
            ) : result.ok.match === false ? (
              <div className="notice notice-error" role="alert">
                <p className="notice-message">These keys do not belong together.</p>
                <p className="notice-hint">
                  Jira needs the public key made from the private key you give Testbridge. Paste the matching
                  pair, or generate a new one above and update the application link.
                </p>
              </div>
            ) : null}
          </>
        )}
      </div>
    </section>
  );
}

export function KeyGenerator() {
  const [bits, setBits] = useState<KeyBits>(2048);
  const [busy, setBusy] = useState(false);
  const [pair, setPair] = useState<GeneratedKeyPair | null>(null);
  const [error, setError] = useState<unknown>(null);
  const resultAnchor = useRef<HTMLDivElement>(null);

  const generate = async () => {
    setBusy(true);
    setError(null);
    try {
      setPair(await generateKeyPair(bits));
      requestAnimationFrame(() => resultAnchor.current?.querySelector<HTMLElement>('h2')?.focus());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Key generator">
      <p className="lead">
        Jira's application links sign with RSA keys. Generate a pair here instead of running the four OpenSSL
        commands: you get the same three files, plus the public key ready to paste into Jira.
      </p>
      <section className="card" aria-labelledby="generate-title">
        <h2 id="generate-title">Generate a key pair</h2>
        <fieldset>
          <legend>Key size</legend>
          {SIZES.map((s) => (
            <label key={s.bits} className="choice">
              <input
                type="radio"
                name="bits"
                value={s.bits}
                checked={bits === s.bits}
                onChange={() => setBits(s.bits)}
              />
              <span>
                <strong>{s.label}</strong> <span className="muted">{s.note}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {bits === 1024 ? (
          <div className="notice notice-warning" id="weak-key-warning" role="status">
            <p className="notice-message">1024-bit RSA keys are considered weak.</p>
            <p className="notice-hint">
              Use them only if your Jira server rejects 2048-bit keys; plan to replace them.
            </p>
          </div>
        ) : null}
        {error ? <ErrorNotice error={error} /> : null}
        <button
          type="button"
          className="button button-primary"
          onClick={generate}
          disabled={busy}
          aria-describedby={bits === 1024 ? 'weak-key-warning' : undefined}
        >
          {busy ? 'Generating…' : pair ? 'Generate a new pair' : 'Generate key pair'}
        </button>
      </section>
      <div ref={resultAnchor} className="result-anchor">
        {pair ? <GeneratedKeys pair={pair} /> : null}
      </div>
      <KeyChecker />
    </Page>
  );
}
