import { useEffect, useState } from 'preact/hooks';
import { ROLLOUT_STATUSES } from '../../../libs/domain/src';
import { errorText, gql } from './api';
import { navigate, onLink } from './router';

interface Row {
  id: string;
  service: string;
  version: string;
  status: string;
  currentWave: number;
  requestedBy: string;
  requestedAt: string;
}

const STATUSES = ['', ...ROLLOUT_STATUSES.filter((s) => s !== 'PENDING')];
const REFRESH_MS = 3_000;

export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** Rollouts, newest first, filtered by service, status and region (the filters are in the URL). */
export function RolloutsPage({ query }: { query: URLSearchParams }) {
  const filter = {
    service: query.get('service') ?? '',
    status: query.get('status') ?? '',
    region: query.get('region') ?? '',
  };
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const input = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== ''));
        const data = await gql<{ rollouts: { edges: Array<{ node: Row }> } }>(
          `query ($filter: RolloutFilterInput) { rollouts(first: 50, filter: $filter) { edges { node { id service version status currentWave requestedBy requestedAt } } } }`,
          { filter: input },
        );
        if (!stopped) {
          setRows(data.rollouts.edges.map((e) => e.node));
          setError(null);
        }
      } catch (err) {
        if (!stopped) setError(errorText(err));
      }
    };
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [filter.service, filter.status, filter.region]);

  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams({ ...filter, [key]: value });
    for (const [k, v] of [...next.entries()]) if (!v) next.delete(k);
    const search = next.toString();
    navigate(`/${search ? `?${search}` : ''}`);
  };

  return (
    <section>
      <h1>Rollouts</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Service
          <input value={filter.service} onChange={(e) => setFilter('service', (e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Status
          <select value={filter.status} onChange={(e) => setFilter('status', (e.target as HTMLSelectElement).value)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Region
          <input value={filter.region} onChange={(e) => setFilter('region', (e.target as HTMLInputElement).value)} />
        </label>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {rows === null ? (
        <p class="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p class="muted">No rollout matches.</p>
      ) : (
        <table class="rollouts">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Wave</th>
              <th scope="col">Requested by</th>
              <th scope="col">Age</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-rollout={r.id}>
                <td>
                  <a href={`/ui/rollouts/${r.id}`} onClick={(e) => onLink(e, `/rollouts/${r.id}`)}>
                    {r.service}
                  </a>
                </td>
                <td>
                  <a href={`/ui/rollouts/${r.id}`} onClick={(e) => onLink(e, `/rollouts/${r.id}`)}>
                    {r.version}
                  </a>{' '}
                  <a
                    class="muted"
                    href={`/ui/services/${r.service}`}
                    onClick={(e) => onLink(e, `/services/${r.service}`)}
                  >
                    service
                  </a>
                </td>
                <td>
                  <span class={`status status-${r.status}`}>{r.status}</span>
                </td>
                <td>{r.currentWave}</td>
                <td>{r.requestedBy}</td>
                <td title={r.requestedAt}>{age(r.requestedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
