import { useEffect, useState } from 'preact/hooks';
import { ApiError, getWithToken, gql } from './api';
import { navigate, onLink } from './router';

interface Suspect {
  rank: number;
  rolloutId: string;
  score: number;
  likelyCause: boolean;
  verdict: string;
  change: {
    region: string;
    service: string;
    toVersion: string | null;
    fromVersion: string | null;
    changedAt: string;
    actor: string;
  };
  explanation: { text: string };
}

interface Incident {
  alertname: string | null;
  service: string | null;
  region: string | null;
  startsAt: string;
  verdict: { verdict: string; summary: string; rolloutId: string | null };
  suspects: Suspect[];
}

interface Customer {
  rank: number;
  customer: string;
  region: string;
  exposedFrom: string;
  exposedUntil: string | null;
  exposedSeconds: number;
  rolledBack: boolean;
  errorRate: number | null;
  baselineErrorRate: number | null;
  badRequestsEstimate: number | null;
  severity: string;
  measuredBy: string | null;
  note: string | null;
}

const CUSTOMERS = `query ($id: ID!) { affectedCustomers(rolloutId: $id) {
  rank customer region exposedFrom exposedUntil exposedSeconds rolledBack
  errorRate baselineErrorRate badRequestsEstimate severity measuredBy note } }`;

const INCIDENT = `query ($alert: AlertInput!) { incident(alert: $alert) {
  alertname service region startsAt
  verdict { verdict summary rolloutId }
  suspects { rank rolloutId score likelyCause verdict explanation { text }
    change { region service toVersion fromVersion changedAt actor } } } }`;

/** The alert a halted rollout was stopped by: its labels and start, else its service and first region at the halt. */
export async function alertOfRollout(id: string): Promise<{ labels: Record<string, unknown>; startsAt: string }> {
  const data = await gql<{
    rollout: {
      service: string;
      pushedRegions: string[];
      events: Array<{ type: string; data: Record<string, unknown>; recordedAt: string }>;
    };
  }>('query ($id: ID!) { rollout(id: $id) { service pushedRegions events { type data recordedAt } } }', { id });
  const halt = data.rollout.events.find((e) => e.type === 'RolloutHalted');
  if (!halt) throw new ApiError('this rollout was not halted: paste an alert instead', 'NOT_HALTED');
  const alert = halt.data.alert as { labels?: Record<string, unknown>; startsAt?: string } | undefined;
  if (alert?.labels) return { labels: alert.labels, startsAt: alert.startsAt ?? halt.recordedAt };
  return {
    labels: { service: data.rollout.service, region: data.rollout.pushedRegions[0] ?? '' },
    startsAt: halt.recordedAt,
  };
}

const percent = (rate: number | null) => (rate === null ? '?' : `${(100 * rate).toFixed(1)}%`);

/** "Was it a change?": pick a halted rollout, or paste an alert's labels and time. */
export function IncidentPage({ query }: { query: URLSearchParams }) {
  const [labels, setLabels] = useState(query.get('labels') ?? '');
  const [at, setAt] = useState(query.get('at') ?? '');
  const [incident, setIncident] = useState<Incident | null>(null);
  const [customers, setCustomers] = useState<Customer[] | null>(null);
  const [customersOf, setCustomersOf] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const rollout = query.get('rollout');

  useEffect(() => {
    setIncident(null);
    setCustomers(null);
    setError(null);
    if (!rollout && !query.get('labels')) return;
    void (async () => {
      try {
        const alert = rollout
          ? await alertOfRollout(rollout)
          : {
              labels: JSON.parse(query.get('labels')!) as Record<string, unknown>,
              startsAt: new Date(query.get('at') || Date.now()).toISOString(),
            };
        const found = (await gql<{ incident: Incident }>(INCIDENT, { alert })).incident;
        setIncident(found);
        const top = found.verdict.rolloutId ?? found.suspects[0]?.rolloutId;
        if (top) {
          const data = await gql<{ affectedCustomers: Customer[] }>(CUSTOMERS, { id: top });
          setCustomers(data.affectedCustomers);
          setCustomersOf(top);
        }
      } catch (err) {
        setError(
          err instanceof ApiError
            ? `${err.code}: ${err.message}`
            : err instanceof SyntaxError
              ? 'labels must be a JSON object'
              : String(err),
        );
      }
    })();
  }, [rollout, query.get('labels'), query.get('at')]);

  const download = async () => {
    if (!customersOf) return;
    try {
      // the gateway's own export: one CSV, whoever asks
      const csv = await getWithToken(`/rollouts/${encodeURIComponent(customersOf)}/affected-customers.csv`);
      const url = URL.createObjectURL(await csv.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = `affected-customers-${customersOf}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1_000);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    }
  };

  return (
    <section>
      <h1>Incident</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const search = new URLSearchParams({ labels, ...(at ? { at } : {}) });
          navigate(`/incidents?${search.toString()}`);
        }}
      >
        <label>
          Alert labels (JSON)
          <input
            value={labels}
            placeholder='{"service": "checkout", "region": "eu-west-1"}'
            onInput={(e) => setLabels((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Started at
          <input
            value={at}
            placeholder="2026-12-03T10:00:00Z"
            onInput={(e) => setAt((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" disabled={labels.trim() === ''}>
          Look
        </button>
      </form>
      {rollout && <p class="muted">For the halt of rollout {rollout}.</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {incident && (
        <>
          <p data-testid="verdict">
            <strong>{incident.verdict.verdict}</strong>: {incident.verdict.summary}
          </p>
          <h2>Suspects</h2>
          {incident.suspects.length === 0 ? (
            <p class="muted">No change before the alert.</p>
          ) : (
            <table class="suspects" data-testid="suspects">
              <thead>
                <tr>
                  <th scope="col">Rank</th>
                  <th scope="col">Change</th>
                  <th scope="col">Score</th>
                  <th scope="col">Verdict</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {incident.suspects.map((s) => (
                  <tr key={`${s.rolloutId}-${s.rank}`} data-rollout={s.rolloutId}>
                    <td>{s.rank}</td>
                    <td>
                      <a href={`/ui/rollouts/${s.rolloutId}`} onClick={(e) => onLink(e, `/rollouts/${s.rolloutId}`)}>
                        {s.change.service} {s.change.toVersion ?? '(restore)'}
                      </a>{' '}
                      in {s.change.region} by {s.change.actor}
                    </td>
                    <td>{s.score.toFixed(2)}</td>
                    <td>
                      {s.verdict}
                      {s.likelyCause && ' · likely cause'}
                    </td>
                    <td>{s.explanation.text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {customers && (
            <>
              <h2>Affected customers</h2>
              <p>
                {customers.length} exposures.{' '}
                <button type="button" onClick={() => void download()} disabled={customers.length === 0}>
                  Download CSV
                </button>
              </p>
              <table class="customers" data-testid="customers">
                <thead>
                  <tr>
                    <th scope="col">Rank</th>
                    <th scope="col">Customer</th>
                    <th scope="col">Region</th>
                    <th scope="col">Exposed</th>
                    <th scope="col">Errors (before → while exposed)</th>
                    <th scope="col">Bad requests (est.)</th>
                    <th scope="col">Severity</th>
                    <th scope="col">Rolled back</th>
                  </tr>
                </thead>
                <tbody>
                  {customers.map((c) => (
                    <tr
                      key={`${c.customer}-${c.region}-${c.exposedFrom}`}
                      data-customer={c.customer}
                      title={c.note ?? undefined}
                    >
                      <td>{c.rank}</td>
                      <td>{c.customer}</td>
                      <td>{c.region}</td>
                      <td>
                        {new Date(c.exposedFrom).toLocaleString()} –{' '}
                        {c.exposedUntil ? new Date(c.exposedUntil).toLocaleString() : 'now'} (
                        {Math.round(c.exposedSeconds / 60)} min)
                      </td>
                      <td>
                        {percent(c.baselineErrorRate)} → {percent(c.errorRate)}
                        {c.measuredBy === 'REGION' ? ' (region)' : ''}
                      </td>
                      <td>{c.badRequestsEstimate ?? '?'}</td>
                      <td class="severity">{c.severity}</td>
                      <td>{c.rolledBack ? 'yes' : 'no'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </>
      )}
    </section>
  );
}
