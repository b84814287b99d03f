import { type FormEvent, useEffect, useRef, useState } from 'react';
import { type Session, signIn } from '../api.js';
import { ErrorNotice } from '../components/ErrorNotice.js';

export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const usernameInput = useRef<HTMLInputElement>(null);
  const passwordInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Testbridge';
    usernameInput.current?.focus();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(username.trim(), password));
    } catch (err) {
      setError(err);
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
            onChange={(e) => setUsername(e.target.value)}
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
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          First start? Testbridge printed the <code>admin</code> password in its log once, or used{' '}
          <code>TESTBRIDGE_ADMIN_PASSWORD</code>.
        </p>
      </form>
    </main>
  );
}
