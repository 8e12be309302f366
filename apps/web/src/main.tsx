import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { fetchMe, session, type Me } from './api';
import { onLink, useLocation } from './router';
import { SignIn } from './sign-in';
import { RolloutsPage } from './rollouts-page';
import { RolloutPage } from './rollout-page';
import { IncidentPage } from './incident-page';
import { ServicePage } from './service-page';
import './styles.css';

function App() {
  const { path, query } = useLocation();
  const [me, setMe] = useState<Me | null>(null);
  const [checked, setChecked] = useState(false);

  useEffect(() => {
    if (!session.token()) {
      setChecked(true);
      return;
    }
    fetchMe()
      .then(setMe)
      .catch(() => session.signOut())
      .finally(() => setChecked(true));
  }, []);

  if (!checked) return <p class="muted">Loading…</p>;
  if (!me) return <SignIn onSignedIn={setMe} />;

  const rollout = /^\/rollouts\/([^/]+)$/.exec(path);
  const service = /^\/services\/([^/]+)$/.exec(path);
  return (
    <>
      <header class="top">
        <a class="brand" href="/ui/" onClick={(e) => onLink(e, '/')}>
          Sluice
        </a>
        <nav aria-label="pages">
          <a href="/ui/" onClick={(e) => onLink(e, '/')}>
            Rollouts
          </a>{' '}
          <a href="/ui/incidents" onClick={(e) => onLink(e, '/incidents')}>
            Incidents
          </a>
        </nav>
        <span class="who" data-testid="principal">
          {me.name} <span class="muted">({me.roles.join(', ')})</span>
        </span>
        <button
          type="button"
          class="link"
          onClick={() => {
            session.signOut();
            setMe(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        {rollout ? (
          <RolloutPage id={decodeURIComponent(rollout[1])} me={me} />
        ) : service ? (
          <ServicePage name={decodeURIComponent(service[1])} />
        ) : path === '/incidents' ? (
          <IncidentPage query={query} />
        ) : (
          <RolloutsPage query={query} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
