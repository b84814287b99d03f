import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../api.js';
import { CopyValue } from '../components/CopyValue.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import {
  createMapping,
  createProject,
  type InstanceDetail,
  type JiraProjectChoice,
  listJiraProjects,
  listMappings,
  type MappingView,
  type ParkedDelivery,
  parkedDeliveries,
  reconcile,
  retryDelivery,
  startImport,
} from '../jira-api.js';
import { Link } from '../router.js';

const FIELDS = [
  'summary',
  'description',
  'status',
  'priority',
  'labels',
  'components',
  'fixVersions',
  'assignee',
];

function ImportBar({ m }: { m: MappingView }) {
  const { done, total, state, error } = m.health.import;
  const pct = total ? Math.min(100, Math.round((done / total) * 100)) : state === 'done' ? 100 : 0;
  const label = `Import of ${m.jiraProject.key}`;
  return (
    <div className="progress">
      <progress max={100} value={pct} aria-label={label} />
      <span className="small">
        {pct}% · {done}
        {total !== null ? ` of ${total}` : ''} issues · {state}
      </span>
      {error ? <p className="bad-text small">{error}</p> : null}
    </div>
  );
}

function Parked({ mapping }: { mapping: MappingView }) {
  const [items, setItems] = useState<ParkedDelivery[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(
    () => parkedDeliveries(mapping.id).then((r) => setItems(r.deliveries), setError),
    [mapping.id],
  );
  useEffect(() => {
    void load();
  }, [load]);
  if (error) return <ErrorNotice error={error} />;
  if (!items) return null;
  if (items.length === 0) return <p className="muted small">No parked deliveries.</p>;
  return (
    <ul className="parked">
      {items.map((d) => (
        <li key={d.id}>
          {d.jiraIssueKey ?? d.id} {d.error ? <span className="muted small">— {d.error}</span> : null}{' '}
          <button
            type="button"
            className="button button-small"
            onClick={() => retryDelivery(mapping.id, d.id).then(load, setError)}
          >
            Retry
          </button>
        </li>
      ))}
    </ul>
  );
}

function MappingCard({ m }: { m: MappingView }) {
  const [error, setError] = useState<unknown>(null);
  const h = m.health;
  const importing = h.import.state !== 'done';
  return (
    <li className="mapping card">
      <h3>
        <Link to={`/projects/${m.projectId}`}>{m.projectKey}</Link> ← Jira {m.jiraProject.key}{' '}
        <span className="muted">({m.jiraProject.name})</span>
      </h3>
      {m.alert ? <p className="bad-text">{m.alert}</p> : null}
      <ImportBar m={m} />
      <dl className="facts">
        <dt>Webhook</dt>
        <dd>
          {h.webhook.mode}, {h.webhook.state}
          {h.webhook.error ? <span className="bad-text"> — {h.webhook.error}</span> : null}
        </dd>
        <dt>Last delivery</dt>
        <dd>{h.lastDeliveryAt ? new Date(h.lastDeliveryAt).toLocaleString() : 'none yet'}</dd>
        <dt>Inbox</dt>
        <dd>
          {h.inbox.depth} waiting, {h.inbox.failed} retrying, {h.inbox.parked} parked
        </dd>
        <dt>Last reconcile</dt>
        <dd>
          {h.reconcile.lastAt ? new Date(h.reconcile.lastAt).toLocaleString() : 'not yet'}
          {h.reconcile.drift ? ` (${h.reconcile.drift} differences repaired)` : ''}
        </dd>
      </dl>
      {h.inbox.parked > 0 ? <Parked mapping={m} /> : null}
      {h.webhook.mode === 'manual' ? <ManualWebhook m={m} /> : null}
      <div className="form-actions">
        <button
          type="button"
          className="button"
          disabled={importing}
          onClick={() => startImport(m.id).catch(setError)}
        >
          Import again
        </button>
        <button
          type="button"
          className="button"
          disabled={importing}
          onClick={() => reconcile(m.id).catch(setError)}
        >
          Reconcile now
        </button>
      </div>
      {error ? <ErrorNotice error={error} /> : null}
    </li>
  );
}

function ManualWebhook({ m }: { m: MappingView }) {
  const w = m.webhookSetup;
  return (
    <details open>
      <summary>Create this webhook in Jira (Administration → System → WebHooks)</summary>
      <div className="copy-values">
        <CopyValue label="Webhook name" value={w.name} />
        <CopyValue label="Webhook URL" value={w.url} />
        <CopyValue label="JQL" value={w.jql} />
        <CopyValue label="Events" value={w.events.join(', ')} />
      </div>
      <ol className="steps">
        {w.steps.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ol>
    </details>
  );
}

function MappingDialog({
  instance,
  open,
  onClose,
  onCreated,
}: {
  instance: InstanceDetail;
  open: boolean;
  onClose: () => void;
  onCreated: (m: MappingView) => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [projects, setProjects] = useState<JiraProjectChoice[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [search, setSearch] = useState('');
  const [choice, setChoice] = useState<JiraProjectChoice | null>(null);
  const [reqTypes, setReqTypes] = useState<string[]>([]);
  const [defTypes, setDefTypes] = useState<string[]>([]);
  const [jql, setJql] = useState('');
  const [fields, setFields] = useState<string[]>(FIELDS);
  const [webhookMode, setWebhookMode] = useState<'automatic' | 'manual'>('automatic');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  useEffect(() => {
    if (open && !projects) listJiraProjects(instance.id).then((r) => setProjects(r.projects), setError);
  }, [open, projects, instance.id]);

  const pick = (p: JiraProjectChoice) => {
    setChoice(p);
    const types = p.issueTypes.filter((t) => !t.subtask).map((t) => t.name);
    setReqTypes(types.filter((t) => t !== 'Bug'));
    setDefTypes(types.filter((t) => t === 'Bug'));
  };
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return (projects ?? []).filter((p) => !q || `${p.key} ${p.name}`.toLowerCase().includes(q));
  }, [projects, search]);
  const toggle = (list: string[], set: (v: string[]) => void, value: string) =>
    set(list.includes(value) ? list.filter((x) => x !== value) : [...list, value]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!choice) return;
    setBusy(true);
    setError(null);
    try {
      // The Testbridge project takes the Jira project's key; an existing one is reused.
      await createProject({ key: choice.key, name: choice.name }).catch((err: unknown) => {
        if (!(err instanceof ApiError && err.status === 409)) throw err;
      });
      const m = await createMapping({
        projectId: choice.key,
        jiraInstanceId: instance.id,
        jiraProject: choice.key,
        requirementTypes: reqTypes,
        defectTypes: defTypes,
        ...(jql.trim() ? { extraJql: jql.trim() } : {}),
        syncedFields: fields,
        webhookMode,
      });
      onCreated(m);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const types = choice?.issueTypes.filter((t) => !t.subtask) ?? [];
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="mapping-title" onClose={onClose}>
      <form onSubmit={submit}>
        <h2 id="mapping-title">Map a Jira project</h2>
        <div className="field">
          <label htmlFor="project-search">Search Jira projects</label>
          <input
            id="project-search"
            type="search"
            value={search}
            placeholder="Key or name"
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        {!projects && !error ? <p className="muted">Loading Jira projects…</p> : null}
        {projects && shown.length === 0 ? <p className="muted">No Jira project matches “{search}”.</p> : null}
        <fieldset className="project-list">
          <legend className="visually-hidden">Jira project</legend>
          {shown.slice(0, 50).map((p) => (
            <label key={p.id} className="inline-choice">
              <input
                type="radio"
                name="jira-project"
                checked={choice?.id === p.id}
                onChange={() => pick(p)}
              />{' '}
              <code>{p.key}</code> {p.name}
            </label>
          ))}
        </fieldset>
        {choice ? (
          <>
            <fieldset>
              <legend>Requirement issue types</legend>
              {types.map((t) => (
                <label key={t.id} className="inline-choice">
                  <input
                    type="checkbox"
                    checked={reqTypes.includes(t.name)}
                    onChange={() => toggle(reqTypes, setReqTypes, t.name)}
                  />{' '}
                  {t.name}
                </label>
              ))}
            </fieldset>
            <fieldset>
              <legend>Defect issue types</legend>
              {types.map((t) => (
                <label key={t.id} className="inline-choice">
                  <input
                    type="checkbox"
                    checked={defTypes.includes(t.name)}
                    onChange={() => toggle(defTypes, setDefTypes, t.name)}
                  />{' '}
                  {t.name}
                </label>
              ))}
            </fieldset>
            <div className="field">
              <label htmlFor="mapping-jql">Extra JQL filter (optional)</label>
              <input
                id="mapping-jql"
                value={jql}
                placeholder="labels = web"
                onChange={(e) => setJql(e.target.value)}
              />
            </div>
            <details>
              <summary>Fields to sync ({fields.length})</summary>
              {FIELDS.map((f) => (
                <label key={f} className="inline-choice">
                  <input
                    type="checkbox"
                    checked={fields.includes(f)}
                    onChange={() => toggle(fields, setFields, f)}
                  />{' '}
                  {f}
                </label>
              ))}
            </details>
            <fieldset>
              <legend>Webhook</legend>
              <label className="inline-choice">
                <input
                  type="radio"
                  name="webhook-mode"
                  checked={webhookMode === 'automatic'}
                  onChange={() => setWebhookMode('automatic')}
                />{' '}
                Testbridge creates it in Jira (needs Jira administrator rights)
              </label>
              <label className="inline-choice">
                <input
                  type="radio"
                  name="webhook-mode"
                  checked={webhookMode === 'manual'}
                  onChange={() => setWebhookMode('manual')}
                />{' '}
                I create it in Jira myself (the values are shown after saving)
              </label>
            </fieldset>
          </>
        ) : null}
        {error ? <ErrorNotice error={error} /> : null}
        <div className="form-actions">
          <button
            type="submit"
            className="button button-primary"
            disabled={!choice || busy || reqTypes.length === 0}
          >
            {busy ? 'Checking with Jira…' : 'Map project'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

export function MappingsSection({ instance }: { instance: InstanceDetail }) {
  const [mappings, setMappings] = useState<MappingView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [dialog, setDialog] = useState(false);
  const load = useCallback(
    () =>
      listMappings(instance.id).then(
        (r) => {
          setMappings(r.mappings);
          setError(null);
        },
        (err: unknown) => setError(err),
      ),
    [instance.id],
  );
  useEffect(() => {
    void load();
  }, [load]);
  // Progress bars and webhook state move while the import and deliveries run.
  useEffect(() => {
    const timer = setInterval(() => void load(), 1500);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <section className="panel" aria-labelledby="mappings-title">
      <div className="panel-header">
        <h2 id="mappings-title">Project mappings</h2>
        <button type="button" className="button button-primary" onClick={() => setDialog(true)}>
          <span aria-hidden="true">+ </span>Map a Jira project
        </button>
      </div>
      {error ? <ErrorNotice error={error} /> : null}
      {mappings && mappings.length === 0 ? (
        <p className="muted">No Jira project is mapped yet. Map one to import its issues and versions.</p>
      ) : null}
      <ul className="mappings">
        {(mappings ?? []).map((m) => (
          <MappingCard key={m.id} m={m} />
        ))}
      </ul>
      <MappingDialog
        instance={instance}
        open={dialog}
        onClose={() => setDialog(false)}
        onCreated={() => {
          setDialog(false);
          void load();
        }}
      />
    </section>
  );
}
