import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, type Session, signIn } from '../api.js';
import { ErrorNotice } from '../components/ErrorNotice.js';

const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;

export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  /** While the server's rate limit holds, trying again can only fail: count down instead. */
  const [waitSeconds, setWaitSeconds] = useState(0);
  const usernameInput = useRef<HTMLInputElement>(null);
  const passwordInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (waitSeconds <= 0) return;
    const timer = setTimeout(() => setWaitSeconds((s) => s - 1), 1000);
    return () => clearTimeout(timer);
  }, [waitSeconds]);

  useEffect(() => {
    document.title = 'Sign in · Testbridge';
    usernameInput.current?.focus();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || waitSeconds > 0) return;
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(username.trim(), password));
    } catch (err) {
      setError(err);
      if (err instanceof ApiError && err.status === 429) setWaitSeconds(err.retryAfter ?? 30);
      // The next try starts from a clean password box, with the focus already in it.
      setPassword('');
      setBusy(false);
      requestAnimationFrame(() => passwordInput.current?.focus());
    }
  };

  return (
    <main className="sign-in" id="main">
      <form className="card sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title" noValidate>
        <p className="brand brand-large" aria-hidden="true">
          Testbridge
        </p>
        <h1 id="sign-in-title">Sign in</h1>
        {error ? <ErrorNotice error={error} id="sign-in-error" /> : null}
        <div className="field">
          <label htmlFor="username">Username</label>
          <input
            id="username"
            name="username"
            ref={usernameInput}
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => {
              setUsername(e.target.value);
              // The limit is per account: another username may sign in at once.
              setWaitSeconds(0);
            }}
            aria-describedby={error ? 'sign-in-error' : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            ref={passwordInput}
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby={error ? 'sign-in-error' : undefined}
          />
        </div>
        <button
          type="submit"
          className="button button-primary button-block"
          disabled={busy || waitSeconds > 0}
        >
          {busy ? 'Signing in…' : waitSeconds > 0 ? `Sign in (wait ${clock(waitSeconds)})` : 'Sign in'}
        </button>
        <p className="muted small">
          First start? Testbridge printed the <code>admin</code> password in its log once, or used{' '}
          <code>TESTBRIDGE_ADMIN_PASSWORD</code>.
        </p>
      </form>
    </main>
  );
}
