import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { errorText, gql } from './api';
import { navigate, onLink } from './router';
import { age } from './rollouts-page';

interface Region {
  name: string;
  tier: string;
  weight: number;
  pair: string | null;
  customers: string[];
  targetKind: string;
}
interface Served {
  region: string;
  version: string | null;
  since: string;
  rolloutId: string;
}
interface Preview {
  valid: boolean;
  source: string;
  waves: Array<{
    index: number;
    regions: string[];
    cumulativeExposure: number;
    bakeSeconds: number;
    requiresApproval: boolean;
  }>;
  violations: Array<{ rule: string; message: string; wave: number | null; regions: string[] }>;
  redundancy: {
    violations: Array<{ rule: string; severity: string; message: string }>;
    dependencyMap: Array<{ kind: string; value: string; role: string; before: string[]; after: string[] }>;
  } | null;
}

/** Which regions depend on each value, before and after the change (docs/REDUNDANCY.md). */
function DependencyMap({ entries }: { entries: NonNullable<Preview['redundancy']>['dependencyMap'] }) {
  if (entries.length === 0) return <p class="muted">The config names no dependency.</p>;
  const regions = (names: string[]) => names.join(', ') || '—';
  return (
    <table data-testid="dependency-map">
      <caption>Dependencies, before and after the change</caption>
      <thead>
        <tr>
          <th scope="col">Kind</th>
          <th scope="col">Value</th>
          <th scope="col">Role</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={`${e.kind}/${e.role}/${e.value}`} data-value={e.value}>
            <td>{e.kind}</td>
            <td>{e.value}</td>
            <td>{e.role}</td>
            <td>{regions(e.before)}</td>
            <td>{regions(e.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Cumulative exposure after each wave, as a step chart. */
function ExposureChart({ waves }: { waves: Preview['waves'] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current || waves.length === 0) return;
    const chart = new uPlot(
      {
        width: Math.min(560, box.current.clientWidth || 560),
        height: 180,
        title: 'cumulative exposure by wave',
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [{ label: 'wave' }, { label: 'share of weight' }],
        series: [{}, { label: 'exposure', stroke: '#1565c0', width: 2, paths: uPlot.paths.stepped!({ align: 1 }) }],
      },
      [
        [0, ...waves.map((w) => w.index)],
        [0, ...waves.map((w) => w.cumulativeExposure)],
      ],
      box.current,
    );
    return () => chart.destroy();
  }, [waves]);
  return <div class="chart" ref={box} data-testid="exposure-chart" />;
}

/** A service: its regions, what each serves now and since when, and a plan preview. */
export function ServicePage({ name }: { name: string }) {
  const [regions, setRegions] = useState<Region[] | null>(null);
  const [served, setServed] = useState<Map<string, Served>>(new Map());
  const [preview, setPreview] = useState<Preview | null>(null);
  const [strategy, setStrategy] = useState({ canaryMaxShare: '', growthFactor: '' });
  const [config, setConfig] = useState('');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void (async () => {
      try {
        const data = await gql<{ service: { regions: Region[] }; regionVersions: Served[] }>(
          `query ($name: String!) { service(name: $name) { regions { name tier weight pair customers targetKind } }
             regionVersions(service: $name) { region version since rolloutId } }`,
          { name },
        );
        setRegions(data.service.regions);
        setServed(new Map(data.regionVersions.map((v) => [v.region, v])));
      } catch (err) {
        setError(errorText(err));
      }
    })();
  }, [name]);

  const plan = async () => {
    setError(null);
    const input: Record<string, unknown> = { service: name };
    const given = Object.entries(strategy).filter(([, v]) => v.trim() !== '');
    if (given.length > 0) input.strategy = Object.fromEntries(given.map(([k, v]) => [k, Number(v)]));
    try {
      if (config.trim() !== '') input.config = JSON.parse(config) as unknown;
    } catch (err) {
      setError(`The config to check is not JSON: ${(err as Error).message}`);
      return;
    }
    try {
      setPreview(
        (
          await gql<{ planRollout: Preview }>(
            `query ($input: PlanRolloutInput!) { planRollout(input: $input) { valid source
               waves { index regions cumulativeExposure bakeSeconds requiresApproval }
               violations { rule message wave regions }
               redundancy { violations { rule severity message } dependencyMap { kind value role before after } } } }`,
            { input },
          )
        ).planRollout,
      );
    } catch (err) {
      setError(errorText(err));
    }
  };
  useEffect(() => void plan(), [name]);

  return (
    <section>
      <h1>{name}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <h2>Regions</h2>
      {regions && (
        <table data-testid="topology">
          <thead>
            <tr>
              <th scope="col">Region</th>
              <th scope="col">Tier</th>
              <th scope="col">Weight</th>
              <th scope="col">Pair</th>
              <th scope="col">Customers</th>
              <th scope="col">Target</th>
              <th scope="col">Serves</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {regions.map((r) => {
              const now = served.get(r.name);
              return (
                <tr key={r.name} data-region={r.name}>
                  <td>
                    <a
                      href={`/ui/?service=${encodeURIComponent(name)}&region=${encodeURIComponent(r.name)}`}
                      onClick={(e) =>
                        onLink(e, `/?service=${encodeURIComponent(name)}&region=${encodeURIComponent(r.name)}`)
                      }
                    >
                      {r.name}
                    </a>
                  </td>
                  <td>{r.tier}</td>
                  <td>{r.weight}</td>
                  <td>{r.pair ?? '—'}</td>
                  <td>{r.customers.join(', ') || '—'}</td>
                  <td>{r.targetKind}</td>
                  <td data-testid="serves">
                    {now ? (
                      <a
                        href={`/ui/rollouts/${now.rolloutId}`}
                        onClick={(e) => onLink(e, `/rollouts/${now.rolloutId}`)}
                      >
                        {now.version ?? 'nothing'}
                      </a>
                    ) : (
                      <span class="muted">never pushed</span>
                    )}
                  </td>
                  <td title={now?.since}>{now ? `${age(now.since)} ago` : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h2>Plan preview</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void plan();
        }}
      >
        <label>
          Canary max share
          <input
            inputMode="decimal"
            value={strategy.canaryMaxShare}
            placeholder="default"
            onInput={(e) => setStrategy({ ...strategy, canaryMaxShare: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          Growth factor
          <input
            inputMode="decimal"
            value={strategy.growthFactor}
            placeholder="default"
            onInput={(e) => setStrategy({ ...strategy, growthFactor: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          Config to check (JSON)
          <textarea
            rows={3}
            value={config}
            placeholder="optional: the redundancy rules read it"
            onInput={(e) => setConfig((e.target as HTMLTextAreaElement).value)}
          />
        </label>
        <button type="submit">Preview</button>
      </form>
      {preview && (
        <>
          <p data-testid="plan-valid">
            {preview.valid
              ? 'The plan keeps every rule.'
              : preview.violations.length > 0
                ? `The plan breaks ${preview.violations.length} rule(s).`
                : 'The config breaks a redundancy rule.'}
          </p>
          {preview.violations.length > 0 && (
            <ul class="error" data-testid="violations">
              {preview.violations.map((v, i) => (
                <li key={i}>
                  {v.rule}
                  {v.wave ? ` (wave ${v.wave})` : ''}: {v.message}
                </li>
              ))}
            </ul>
          )}
          <ol data-testid="plan-waves">
            {preview.waves.map((w) => (
              <li key={w.index}>
                {w.regions.join(', ')}: {(w.cumulativeExposure * 100).toFixed(1)}% exposed, bake {w.bakeSeconds}s
                {w.requiresApproval ? ', then an approval' : ''}
              </li>
            ))}
          </ol>
          <ExposureChart waves={preview.waves} />
          {preview.redundancy && (
            <>
              <h3>Redundancy</h3>
              {preview.redundancy.violations.length === 0 ? (
                <p data-testid="redundancy-ok">The config keeps every redundancy rule.</p>
              ) : (
                <ul data-testid="redundancy-violations">
                  {preview.redundancy.violations.map((v, i) => (
                    <li key={i} class={v.severity === 'error' ? 'error' : 'muted'}>
                      {v.severity}: {v.message}
                    </li>
                  ))}
                </ul>
              )}
              <DependencyMap entries={preview.redundancy.dependencyMap} />
            </>
          )}
        </>
      )}
      <p>
        <button type="button" class="link" onClick={() => navigate(`/?service=${encodeURIComponent(name)}`)}>
          Rollouts of {name}
        </button>
      </p>
    </section>
  );
}
