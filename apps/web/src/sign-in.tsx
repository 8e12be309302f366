import { useEffect, useState } from 'preact/hooks';
import { fetchMe, session, type Me } from './api';

interface DevToken {
  name: string;
  roles: string[];
  token: string;
}

/** Paste a token; it is checked with `me` before it is kept (in sessionStorage only). */
export function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [dev, setDev] = useState<DevToken[]>([]);

  useEffect(() => {
    fetch('/ui/dev-tokens.json')
      .then((r) => r.json() as Promise<{ tokens: DevToken[] }>)
      .then((d) => setDev(d.tokens))
      .catch(() => setDev([]));
  }, []);

  const signIn = async (value: string) => {
    setError(null);
    session.signIn(value.trim());
    try {
      onSignedIn(await fetchMe());
    } catch (err) {
      session.signOut();
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <main class="sign-in">
      <h1>Sign in to Sluice</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void signIn(token);
        }}
      >
        <label for="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={token.trim() === ''}>
          Sign in
        </button>
        <p class="muted">Kept in this tab only (sessionStorage), until you sign out or close it.</p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
      {dev.length > 0 && (
        <section aria-label="development tokens">
          <h2>Development mode</h2>
          {dev.map((t) => (
            <button type="button" key={t.name} onClick={() => void signIn(t.token)}>
              Sign in as {t.name} ({t.roles.join(', ')})
            </button>
          ))}
        </section>
      )}
    </main>
  );
}
