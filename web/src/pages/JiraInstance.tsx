import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { CopyValue } from '../components/CopyValue.js';
import { Page } from '../components/Page.js';
import {
  type ApplicationLinkGuide,
  type Authorization,
  authorize,
  type DiagnosticsReport,
  getApplicationLink,
  getInstance,
  type InstanceDetail,
  patchInstance,
  removeInstance,
  runDiagnostics,
  verify,
} from '../jira-api.js';
import { Link, navigate } from '../router.js';
import { MappingsSection } from './JiraMappings.js';

const STATUS: Record<string, { label: string; tone: string }> = {
  connected: { label: 'Connected', tone: 'good' },
  setup: { label: 'Setup not finished', tone: 'neutral' },
  warning: { label: 'Warning', tone: 'warn' },
  failing: { label: 'Failing', tone: 'bad' },
  needs_reauthorization: { label: 'Needs authorization', tone: 'bad' },
};

const CHECK: Record<string, { icon: string; label: string; tone: string }> = {
  pass: { icon: '✓', label: 'Pass', tone: 'good' },
  warn: { icon: '!', label: 'Warning', tone: 'warn' },
  fail: { icon: '✗', label: 'Fail', tone: 'bad' },
  skip: { icon: '–', label: 'Skipped', tone: 'neutral' },
};

/** Polls while `active`: the callback completes in Jira's tab, this page only has to notice. */
function usePoll(active: boolean, everyMs: number, tick: () => void) {
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(tick, everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs, tick]);
}

export function DiagnosticsPanel({ report }: { report: DiagnosticsReport }) {
  return (
    <div className="diagnostics">
      <p className={`diagnostics-summary ${report.ok ? 'good-text' : 'bad-text'}`} role="status">
        {report.ok ? 'Diagnostics passed. ' : 'Diagnostics found problems. '}
        {report.summary}
      </p>
      <ul className="checks" aria-label="Diagnostic checks">
        {report.checks.map((c) => {
          const s = CHECK[c.status] ?? { icon: '?', label: c.status, tone: 'neutral' };
          return (
            <li key={`${c.id}-${c.title}`} className={`check check-${s.tone}`}>
              <span className={`badge badge-${s.tone}`}>
                <span aria-hidden="true">{s.icon} </span>
                {s.label}
              </span>
              <div>
                <strong>{c.title}</strong>
                <p className="check-message">{c.message}</p>
                {c.hint && c.status !== 'pass' ? <p className="muted small">What to do: {c.hint}</p> : null}
              </div>
            </li>
          );
        })}
      </ul>
      <p className="muted small">
        Ran <time dateTime={report.finishedAt}>{new Date(report.finishedAt).toLocaleString()}</time>
      </p>
    </div>
  );
}

function ApplicationLinkStep({ guide }: { guide: ApplicationLinkGuide }) {
  const v = guide.values;
  const variants = guide.detected
    ? guide.variants.filter((x) => x.variant === guide.detected)
    : guide.variants;
  return (
    <div className="applink">
      <h3>1. Create the application link in Jira</h3>
      <p>Enter these values in Jira’s application link dialog:</p>
      <div className="copy-values">
        <CopyValue label="Application URL" value={v.applicationUrl} />
        <CopyValue label="Application Name" value={v.applicationName} />
        <CopyValue label="Consumer Key" value={v.consumerKey} />
        <CopyValue label="Consumer Name" value={v.consumerName} />
        <CopyValue label="Public Key" value={v.publicKey} multiline />
        <CopyValue label="Consumer Callback URL" value={v.callbackUrl} />
      </div>
      <p className="muted small">Public key fingerprint: {v.publicKeyFingerprint}</p>
      {variants.map((variant) => (
        <details key={variant.variant} open={variants.length === 1}>
          <summary>Steps for {variant.title}</summary>
          <ol className="steps">
            {variant.steps.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ol>
        </details>
      ))}
    </div>
  );
}

function AuthorizeStep({
  instance,
  onChanged,
  showLinkFirst,
}: {
  instance: InstanceDetail;
  onChanged: () => void;
  showLinkFirst: boolean;
}) {
  const [pending, setPending] = useState<(Authorization & { oob: boolean }) | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [code, setCode] = useState('');
  usePoll(pending !== null && !pending.oob, 1500, onChanged);

  const start = async (oob: boolean) => {
    setBusy(true);
    setError(null);
    try {
      setPending({ ...(await authorize(instance.id, oob)), oob });
    } catch (err) {
      setPending(null);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const submitCode = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await verify(instance.id, code);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const jiraName = instance.authMode === 'oauth2-cloud' ? 'Atlassian' : 'Jira';
  return (
    <div className="authorize">
      <h3>{showLinkFirst ? '2. Test the link and authorize Testbridge' : 'Authorize Testbridge'}</h3>
      {!pending ? (
        <>
          <p>
            {showLinkFirst
              ? 'When the link is saved in Jira, test it: Testbridge asks Jira for a request token and explains any refusal.'
              : `Sign in to ${jiraName} as the integration user and allow Testbridge.`}
          </p>
          <div className="form-actions">
            <button
              type="button"
              className="button button-primary"
              disabled={busy}
              onClick={() => void start(false)}
            >
              {busy ? 'Asking Jira…' : showLinkFirst ? 'Test and authorize' : 'Authorize'}
            </button>
            {instance.authMode === 'oauth1' ? (
              <button type="button" className="button" disabled={busy} onClick={() => void start(true)}>
                Use a verification code instead
              </button>
            ) : null}
          </div>
        </>
      ) : (
        <>
          <p className="good-text">
            {showLinkFirst ? 'Jira accepted the application link. ' : ''}Now allow Testbridge in {jiraName}:
          </p>
          <p>
            <a
              className="button button-primary"
              href={pending.authorizationUrl}
              target="_blank"
              rel="noopener"
            >
              Open {jiraName} to authorize
            </a>
          </p>
          {pending.oob ? (
            <form onSubmit={submitCode} className="inline-form">
              <div className="field">
                <label htmlFor="verifier">Verification code shown by Jira</label>
                <input
                  id="verifier"
                  autoComplete="off"
                  required
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                />
              </div>
              <button type="submit" className="button button-primary" disabled={busy}>
                Finish connection
              </button>
            </form>
          ) : (
            <p className="muted" aria-live="polite">
              Waiting for {jiraName}… After you click Allow, Jira sends you back to Testbridge and this page
              continues by itself. The request expires at {new Date(pending.expiresAt).toLocaleTimeString()}.
            </p>
          )}
        </>
      )}
      {error ? <ErrorNotice error={error} /> : null}
    </div>
  );
}

function EditForm({ instance, onDone }: { instance: InstanceDetail; onDone: () => void }) {
  const [name, setName] = useState(instance.name);
  const [jiraUrl, setJiraUrl] = useState(instance.jiraUrl);
  const [baseUrl, setBaseUrl] = useState(instance.baseUrl);
  const [error, setError] = useState<unknown>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await patchInstance(instance.id, { name, jiraUrl, baseUrl });
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="card edit-form" onSubmit={save} aria-label="Edit instance">
      <div className="field">
        <label htmlFor="edit-name">Name</label>
        <input id="edit-name" value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="edit-jira-url">Jira URL</label>
        <input id="edit-jira-url" type="url" value={jiraUrl} onChange={(e) => setJiraUrl(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="edit-base-url">Jira base URL</label>
        <input id="edit-base-url" type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />
      </div>
      {error ? <ErrorNotice error={error} /> : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary">
          Save
        </button>
        <button type="button" className="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function JiraInstancePage({ id }: { id: string }) {
  const [instance, setInstance] = useState<InstanceDetail | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [guide, setGuide] = useState<ApplicationLinkGuide | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  const [editing, setEditing] = useState(false);
  const [reauthorizing, setReauthorizing] = useState(false);

  const load = useCallback(() => {
    getInstance(id).then(
      (i) => {
        setInstance(i);
        setLoadError(null);
      },
      (err: unknown) => setLoadError(err),
    );
  }, [id]);
  useEffect(load, [load]);

  const needsLink = instance?.authMode === 'oauth1' && instance.setupStep === 'application-link';
  const setupDone = instance?.setupStep === 'done';
  useEffect(() => {
    if (instance?.authMode === 'oauth1' && !setupDone && !guide)
      getApplicationLink(id).then(setGuide, setActionError);
  }, [instance?.authMode, setupDone, guide, id]);
  useEffect(() => {
    if (setupDone) setReauthorizing(false);
  }, [setupDone]);
  // Until setup is done the server moves on by itself (the callback in Jira's tab, then the
  // diagnostics), so this page keeps asking instead of relying on the authorize step alone.
  usePoll(instance !== null && !setupDone, 2000, load);

  const rerun = async () => {
    setRunning(true);
    setActionError(null);
    try {
      await runDiagnostics(id);
      load();
    } catch (err) {
      setActionError(err);
    } finally {
      setRunning(false);
    }
  };
  const remove = async () => {
    if (!instance || !window.confirm(`Remove ${instance.name}? Its stored credentials are deleted.`)) return;
    try {
      await removeInstance(id);
      navigate('/admin/jira');
    } catch (err) {
      setActionError(err);
    }
  };

  if (loadError && !instance) {
    return (
      <Page title="Jira instance">
        <ErrorNotice error={loadError} />
        <p>
          <Link to="/admin/jira">Back to Jira Integration</Link>
        </p>
      </Page>
    );
  }
  if (!instance) {
    return (
      <Page title="Jira instance">
        <p className="muted" aria-busy="true">
          Loading…
        </p>
      </Page>
    );
  }
  const status = STATUS[instance.status] ?? { label: instance.status, tone: 'neutral' };
  // An authorization that failed while the admin was away (Deny in Jira, expired) is shown on return.
  const lastAuthorization = instance.authorization;
  const rawProblem = lastAuthorization?.error;
  const authorizationProblem =
    typeof rawProblem === 'string'
      ? { message: rawProblem, hint: undefined }
      : (rawProblem ?? { message: '', hint: undefined });
  const showAuthorize =
    !setupDone && instance.setupStep !== 'diagnostics' && instance.setupStep !== 'credentials';
  return (
    <Page
      title={instance.name}
      actions={
        <>
          <button type="button" className="button" onClick={() => void rerun()} disabled={running}>
            {running ? 'Running diagnostics…' : 'Re-run diagnostics'}
          </button>
          {instance.authMode !== 'pat' && instance.authMode !== 'basic' && setupDone ? (
            <button type="button" className="button" onClick={() => setReauthorizing(true)}>
              Re-authorize
            </button>
          ) : null}
          <button type="button" className="button" onClick={() => setEditing((x) => !x)}>
            Edit
          </button>
          <button type="button" className="button button-danger" onClick={() => void remove()}>
            Remove
          </button>
        </>
      }
    >
      <p className="lead">
        <span className={`badge badge-${status.tone}`}>{status.label}</span>{' '}
        <span className="url">{instance.jiraUrl}</span>
        {instance.deployment ? (
          <span className="muted">
            {' '}
            · Jira {instance.deployment.deploymentType} {instance.deployment.version}
          </span>
        ) : null}
      </p>
      {instance.statusMessage ? <p className="muted">{instance.statusMessage}</p> : null}
      {/* The server's next step is worded for API users too; the setup panel below already says it for the UI. */}
      {instance.next && !setupDone && !/\/api\//.test(instance.next.action) ? (
        <div className="notice notice-info" role="status">
          <p className="notice-message">{instance.next.action}</p>
          {instance.next.hint ? <p className="notice-hint">{instance.next.hint}</p> : null}
        </div>
      ) : null}
      {editing ? (
        <EditForm
          instance={instance}
          onDone={() => {
            setEditing(false);
            load();
          }}
        />
      ) : null}
      {actionError ? <ErrorNotice error={actionError} /> : null}
      {!setupDone && lastAuthorization?.status === 'failed' && lastAuthorization.error ? (
        <div className="notice notice-error" role="alert">
          <p className="notice-message">
            The last authorization did not complete: {authorizationProblem.message}
          </p>
          <p className="notice-hint">{authorizationProblem.hint ?? 'Start the authorization again below.'}</p>
        </div>
      ) : null}

      {!setupDone || reauthorizing ? (
        <section className="panel" aria-labelledby="setup-title">
          <h2 id="setup-title">{reauthorizing ? 'Authorize again' : 'Finish connecting'}</h2>
          {needsLink && guide ? <ApplicationLinkStep guide={guide} /> : null}
          {instance.setupStep === 'diagnostics' && instance.authorized ? (
            <p className="muted" aria-live="polite">
              Authorized. Testbridge is running the diagnostics…
            </p>
          ) : null}
          {showAuthorize || reauthorizing ? (
            <AuthorizeStep instance={instance} onChanged={load} showLinkFirst={needsLink} />
          ) : null}
        </section>
      ) : null}

      <section className="panel" aria-labelledby="diagnostics-title">
        <h2 id="diagnostics-title">Diagnostics</h2>
        {instance.diagnostics ? (
          <DiagnosticsPanel report={instance.diagnostics} />
        ) : (
          <p className="muted">Diagnostics run once Testbridge is authorized in Jira.</p>
        )}
      </section>

      {setupDone ? <MappingsSection instance={instance} /> : null}
    </Page>
  );
}
