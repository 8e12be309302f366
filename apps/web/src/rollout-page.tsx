import { useEffect, useState } from 'preact/hooks';
import { isFinal } from '../../../libs/domain/src';
import { errorText, gql, subscribe, type Me } from './api';
import { onLink } from './router';
import { ErrorRatesChart, GateChart } from './gate-chart';
import {
  addEvents,
  availableActions,
  cellState,
  emptyView,
  seriesKey,
  addLiveGates,
  type LiveGate,
  type RolloutView,
  type ServedEvent,
} from './rollout-view';

const EVENT_FIELDS = 'position cursor type data metadata recordedAt';
const LIVE_GATES_MS = 3_000;

interface Header {
  id: string;
  service: string;
  version: string;
  requestedBy: string;
  requestedAt: string;
}

function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** One rollout: header, wave × region matrix, gates, timeline and the controls the caller may use, live. */
export function RolloutPage({ id, me }: { id: string; me: Me }) {
  const [header, setHeader] = useState<Header | null>(null);
  const [view, setView] = useState<RolloutView>(emptyView);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<'connecting' | 'live' | 'ended' | 'lost'>('connecting');

  useEffect(() => {
    let stop: (() => void) | null = null;
    let cancelled = false;
    setView(emptyView());
    setHeader(null);
    setError(null);
    void (async () => {
      try {
        const data = await gql<{ rollout: Header & { events: ServedEvent[] } }>(
          `query ($id: ID!) { rollout(id: $id) { id service version requestedBy requestedAt events { ${EVENT_FIELDS} } } }`,
          { id },
        );
        if (cancelled) return;
        setHeader(data.rollout);
        const first = addEvents(emptyView(), data.rollout.events);
        setView(first);
        if (isFinal(first.state.status)) {
          setLive('ended');
          return;
        }
        stop = subscribe<{ rolloutEvents: ServedEvent }>(
          `subscription ($id: ID!, $after: String) { rolloutEvents(id: $id, after: $after) { ${EVENT_FIELDS} } }`,
          { id, after: first.lastCursor },
          {
            next: (d) => {
              setLive('live');
              setView((v) => addEvents(v, [d.rolloutEvents]));
            },
            error: (err) => {
              setLive('lost');
              setError(`${err.code}: ${err.message}`);
            },
            complete: () => setLive('ended'),
          },
        );
        setLive('live');
      } catch (err) {
        if (!cancelled) setError(errorText(err));
      }
    })();
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [id]);

  // the workflow's latest gate results, every few seconds while it runs, for the charts
  const running = header !== null && !isFinal(view.state.status) && view.state.gates.length > 0;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      gql<{ rolloutLive: { gates: LiveGate[] } }>(
        `query ($id: ID!) { rolloutLive(id: $id) { gates { gate region verdict value evidence { ePass eFail passThreshold failThreshold } } } }`,
        { id },
      )
        .then((d) => setView((v) => addLiveGates(v, d.rolloutLive.gates, Date.now())))
        .catch(() => undefined);
    }, LIVE_GATES_MS);
    return () => clearInterval(timer);
  }, [id, running]);

  if (error && !header)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!header) return <p class="muted">Loading…</p>;
  const { state } = view;
  return (
    <section>
      <header class="rollout-header">
        <h1>
          <a href={`/ui/services/${header.service}`} onClick={(e) => onLink(e, `/services/${header.service}`)}>
            {header.service}
          </a>{' '}
          <span class="version">{header.version}</span>
        </h1>
        <dl>
          <dt>Status</dt>
          <dd>
            <span class={`status status-${state.status}`} data-testid="status">
              {state.status}
            </span>{' '}
            {state.phase && <span class="muted">({state.phase.toLowerCase().replace('_', ' ')})</span>}
          </dd>
          <dt>Requested by</dt>
          <dd>{header.requestedBy}</dd>
          <dt>Live</dt>
          <dd data-testid="live">{live}</dd>
          {state.stopReason && (
            <>
              <dt>Stop reason</dt>
              <dd data-testid="stop-reason">
                {state.stopReason}
                {view.timeline.some((t) => t.kind === 'halt') && (
                  <>
                    {' '}
                    <a href={`/ui/incidents?rollout=${id}`} onClick={(e) => onLink(e, `/incidents?rollout=${id}`)}>
                      incident insight
                    </a>
                  </>
                )}
              </dd>
            </>
          )}
        </dl>
      </header>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <ActionBar id={id} view={view} me={me} />
      <Matrix view={view} />
      <Gates view={view} />
      {view.usesMetrics && (
        <section aria-label="error rates">
          <h2>Error rates</h2>
          <ErrorRatesChart rolloutId={id} live={!isFinal(state.status)} />
        </section>
      )}
      <Timeline view={view} />
    </section>
  );
}

function Matrix({ view }: { view: RolloutView }) {
  const now = useNow(1_000);
  const waves = view.state.plan?.waves ?? [];
  if (waves.length === 0) return <p class="muted">No plan yet.</p>;
  return (
    <section aria-label="waves and regions">
      <h2>Waves</h2>
      <table class="matrix" data-testid="matrix">
        <tbody>
          {waves.map((wave) => {
            const current = wave.index === view.state.wave && !isFinal(view.state.status);
            const baking = current && view.bakeStartedAt !== null && view.state.phase === 'BAKING';
            const elapsed = baking ? (now - view.bakeStartedAt!) / 1000 : 0;
            const left = Math.max(0, Math.ceil(wave.bakeSeconds - elapsed));
            return (
              <tr
                key={wave.index}
                class={current ? 'current' : ''}
                data-wave={wave.index}
                aria-current={current ? 'step' : undefined}
              >
                <th scope="row">
                  Wave {wave.index}
                  {wave.requiresApproval && <span class="muted"> · approval</span>}
                </th>
                <td>
                  {wave.regions.map((region) => {
                    const cell = cellState(view, region, wave.index);
                    return (
                      <span
                        key={region}
                        class={`cell cell-${cell}`}
                        data-region={region}
                        data-state={cell}
                        title={`${region}: ${cell}`}
                      >
                        {region}
                        <small>{cell.toLowerCase().replace('_', ' ')}</small>
                      </span>
                    );
                  })}
                </td>
                <td class="bake">
                  {baking && wave.bakeSeconds > 0 && (
                    <>
                      <progress
                        max={wave.bakeSeconds}
                        value={Math.min(wave.bakeSeconds, elapsed)}
                        aria-label={`bake of wave ${wave.index}`}
                      />
                      <span data-testid="bake-countdown">{left}s left</span>
                    </>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function Gates({ view }: { view: RolloutView }) {
  const latest = view.state.gates;
  if (latest.length === 0) return null;
  return (
    <section aria-label="gates">
      <h2>Gates</h2>
      <table class="gates">
        <thead>
          <tr>
            <th scope="col">Gate</th>
            <th scope="col">Region</th>
            <th scope="col">Verdict</th>
            <th scope="col">Value</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {latest.map((g) => (
            <tr key={seriesKey(g.gate, g.region)}>
              <td>{g.gate}</td>
              <td>{g.region}</td>
              <td>
                <span class={`verdict verdict-${g.verdict}`}>{g.verdict}</span>
              </td>
              <td>{g.value === undefined ? '—' : typeof g.value === 'number' ? g.value.toPrecision(4) : g.value}</td>
              <td>{g.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="charts">
        {latest.map((g) => {
          const points = view.series.get(seriesKey(g.gate, g.region)) ?? [];
          const canary = points.some((p) => p.kind === 'canary' || p.ePass !== undefined);
          return (
            <GateChart
              key={seriesKey(g.gate, g.region)}
              label={`${g.gate} · ${g.region}`}
              points={points}
              kind={canary ? 'canary' : 'value'}
              threshold={view.thresholds.get(g.gate)?.threshold}
            />
          );
        })}
      </div>
    </section>
  );
}

function Timeline({ view }: { view: RolloutView }) {
  return (
    <section aria-label="timeline">
      <h2>Timeline</h2>
      <ol class="timeline" data-testid="timeline">
        {[...view.timeline].reverse().map((t) => (
          <li key={t.position} class={`entry entry-${t.kind}`}>
            <time dateTime={t.at}>{new Date(t.at).toLocaleTimeString()}</time> {t.text}
            {t.link && (
              <>
                {' '}
                <a href={t.link} rel="noreferrer noopener" target="_blank">
                  alert
                </a>
              </>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

const MUTATIONS: Record<string, { query: string; reason?: boolean; comment?: boolean }> = {
  pause: {
    query: 'mutation ($id: ID!, $reason: String!) { pauseRollout(id: $id, reason: $reason) { status } }',
    reason: true,
  },
  resume: { query: 'mutation ($id: ID!) { resumeRollout(id: $id) { status } }' },
  approve: {
    query:
      'mutation ($id: ID!, $wave: Int!, $comment: String) { approveWave(id: $id, wave: $wave, comment: $comment) { status } }',
    comment: true,
  },
  abort: {
    query: 'mutation ($id: ID!, $reason: String!) { abortRollout(id: $id, reason: $reason) { status } }',
    reason: true,
  },
  halt: {
    query: 'mutation ($id: ID!, $reason: String!) { haltRollout(id: $id, reason: $reason) { __typename } }',
    reason: true,
  },
  retry: { query: 'mutation ($id: ID!) { retryRollback(id: $id) { status } }' },
};

/** The controls the caller's roles allow now; each asks to confirm, then shows the server's answer. */
function ActionBar({ id, view, me }: { id: string; view: RolloutView; me: Me }) {
  const [pending, setPending] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [answer, setAnswer] = useState<{ ok: boolean; text: string } | null>(null);
  const actions = availableActions(view, me);
  if (actions.length === 0 && !answer) return null;
  const chosen = pending ? actions.find((a) => a.action === pending) : undefined;
  const spec = pending ? MUTATIONS[pending] : undefined;

  const confirm = async () => {
    if (!pending || !spec) return;
    try {
      await gql(spec.query, {
        id,
        ...(spec.reason ? { reason: text.trim() } : {}),
        ...(spec.comment ? { comment: text.trim() || null, wave: view.state.wave } : {}),
      });
      setAnswer({ ok: true, text: `${chosen?.label ?? pending}: accepted` });
    } catch (err) {
      setAnswer({ ok: false, text: errorText(err) });
    }
    setPending(null);
    setText('');
  };

  return (
    <section class="actions" aria-label="actions">
      {actions.map((a) => (
        <span key={a.action}>
          <button
            type="button"
            data-action={a.action}
            disabled={a.disabled !== undefined}
            title={a.disabled}
            aria-describedby={a.disabled ? `why-${a.action}` : undefined}
            onClick={() => {
              setAnswer(null);
              setPending(a.action);
            }}
          >
            {a.label}
          </button>
          {a.disabled && (
            <span class="muted" id={`why-${a.action}`}>
              {' '}
              {a.disabled}
            </span>
          )}
        </span>
      ))}
      {pending && spec && (
        <form
          class="confirm"
          aria-label={`confirm ${chosen?.label ?? pending}`}
          onSubmit={(e) => {
            e.preventDefault();
            void confirm();
          }}
        >
          <p>
            {chosen?.label ?? pending} this rollout{spec.reason ? ': give a reason (required)' : '?'}
          </p>
          {(spec.reason || spec.comment) && (
            <label>
              {spec.reason ? 'Reason' : 'Comment (optional)'}
              <input name="reason" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
            </label>
          )}
          <button type="submit" data-confirm={pending} disabled={spec.reason === true && text.trim() === ''}>
            Confirm
          </button>
          <button type="button" onClick={() => setPending(null)}>
            Cancel
          </button>
        </form>
      )}
      {answer && (
        <p class={answer.ok ? 'ok' : 'error'} role="status" data-testid="action-answer">
          {answer.text}
        </p>
      )}
    </section>
  );
}
