import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
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
