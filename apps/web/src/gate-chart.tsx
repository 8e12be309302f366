import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { session } from './api';
import type { GatePoint } from './rollout-view';

/**
 * A gate's evaluations over time. For the canary judge: both e-values on a log scale, with
 * the lines they must cross (1/α for FAIL, 1/β for PASS). For a prometheus gate: the value
 * against its threshold. Verdicts other than PASS are marked as points.
 */
export function GateChart({
  points,
  kind,
  threshold,
  label,
}: {
  points: GatePoint[];
  kind: 'canary' | 'value';
  threshold?: number;
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current || points.length === 0) return;
    const x = points.map((p) => p.at / 1000);
    const opts: uPlot.Options = {
      width: Math.min(560, box.current.clientWidth || 560),
      height: 180,
      title: label,
      scales: kind === 'canary' ? { y: { distr: 3 } } : {},
      axes: [{}, { label: kind === 'canary' ? 'e-value' : 'value' }],
      series: [{}],
    };
    const data: uPlot.AlignedData = [x];
    if (kind === 'canary') {
      const positive = (v: number | undefined) => (v === undefined || !(v > 0) ? null : v);
      opts.series.push(
        { label: 'e FAIL', stroke: '#c62828', width: 2 },
        { label: 'e PASS', stroke: '#2e7d32', width: 2 },
        { label: '1/α (FAIL line)', stroke: '#c62828', dash: [6, 4] },
        { label: '1/β (PASS line)', stroke: '#2e7d32', dash: [6, 4] },
      );
      data.push(
        points.map((p) => positive(p.eFail)),
        points.map((p) => positive(p.ePass)),
        points.map((p) => positive(p.failThreshold)),
        points.map((p) => positive(p.passThreshold)),
      );
    } else {
      opts.series.push({ label: 'value', stroke: '#1565c0', width: 2 });
      data.push(points.map((p) => p.value));
      if (threshold !== undefined) {
        opts.series.push({ label: 'threshold', stroke: '#c62828', dash: [6, 4] });
        data.push(points.map(() => threshold));
      }
    }
    opts.series.push({ label: 'verdict ≠ PASS', stroke: '#ef6c00', width: 0, points: { show: true, size: 9 } });
    data.push(
      points.map((p) =>
        p.verdict === 'PASS' ? null : kind === 'canary' ? (p.eFail && p.eFail > 0 ? p.eFail : 1) : p.value,
      ),
    );
    const chart = new uPlot(opts, data, box.current);
    return () => chart.destroy();
  }, [points, kind, threshold, label]);
  return <div class="chart" ref={box} data-testid="gate-chart" data-kind={kind} data-points={points.length} />;
}

/** The error ratio of the regions the rollout changed against those it did not, read through the gateway. */
export function ErrorRatesChart({ rolloutId, live }: { rolloutId: string; live: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const [rates, setRates] = useState<ErrorRates | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      const res = await fetch(`/api/rollouts/${encodeURIComponent(rolloutId)}/error-rates`, {
        headers: { authorization: `Bearer ${session.token() ?? ''}` },
      }).catch(() => null);
      if (stopped) return;
      if (!res) return setProblem('the gateway cannot be reached');
      const body = (await res.json().catch(() => null)) as
        (ErrorRates & { error?: { code: string; message: string } }) | null;
      if (!res.ok || !body)
        return setProblem(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`);
      setProblem(null);
      setRates(body);
    };
    void load();
    const timer = live ? setInterval(() => void load(), 15_000) : undefined;
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [rolloutId, live]);

  useEffect(() => {
    if (!box.current || !rates) return;
    const times = [...new Set([...rates.changed.points, ...rates.unchanged.points].map((p) => p[0]))].sort(
      (a, b) => a - b,
    );
    const at = (points: Array<[number, number | null]>) => {
      const byTime = new Map(points);
      return times.map((t) => byTime.get(t) ?? null);
    };
    const chart = new uPlot(
      {
        width: Math.min(560, box.current.clientWidth || 560),
        height: 180,
        title: 'error ratio: changed against unchanged regions',
        axes: [{}, { label: 'errors / requests' }],
        series: [
          {},
          { label: `changed (${rates.changed.regions.join(', ') || 'none'})`, stroke: '#c62828', width: 2 },
          { label: `unchanged (${rates.unchanged.regions.join(', ') || 'none'})`, stroke: '#1565c0', width: 2 },
        ],
      },
      [times, at(rates.changed.points), at(rates.unchanged.points)],
      box.current,
    );
    return () => chart.destroy();
  }, [rates]);

  if (problem) return <p class="muted">Error rates are not available: {problem}</p>;
  return <div class="chart" ref={box} data-testid="error-rates" data-points={rates?.changed.points.length ?? 0} />;
}

interface ErrorRates {
  step: number;
  changed: { regions: string[]; points: Array<[number, number | null]> };
  unchanged: { regions: string[]; points: Array<[number, number | null]> };
}
