/** The sign-in page: an API key opens the account pages, the admin token the operator pages. */
import { useState } from 'preact/hooks';
import { ApiError } from '../lib/api.js';
import { signIn } from '../lib/session.js';

export function SignIn({ notice }: { notice: string | undefined }) {
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(secret);
      location.hash = '#/';
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The server cannot be reached.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin" tabIndex={-1}>
      <h1>Sign in to the jiema console</h1>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit}>
        <label for="secret">API key or admin token</label>
        <input
          id="secret"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={secret}
          onInput={(e) => setSecret((e.target as HTMLInputElement).value)}
          aria-describedby="secret-help"
          aria-invalid={error ? true : undefined}
        />
        <p id="secret-help" class="help">
          An API key (<code>jm_…</code>) opens that user's account pages. The admin token opens the operator pages, and with the simulator
          the developer view. On a terminal, <code>jiema serve</code> prints a link that signs you in directly. The console keeps neither in
          the browser: it gets a session cookie that scripts cannot read.
        </p>
        {error && (
          <p class="notice error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
