import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { findOnPath, isExecutable } from '../../libs/platform/src/executables';
import { findMonitoringBinary } from '../../libs/platform/src/monitoring-servers';
import { projectRoot } from '../../libs/platform/src/project-root';
import { eventually } from '../support/eventually';
import { describeWithMonitoring, startPrometheus, type PrometheusServer } from '../support/prometheus';

const RULES_DIR = join(projectRoot(__dirname), 'deploy', 'prometheus');
const RULES = join(RULES_DIR, 'sluice-rules.yml');

/** promtool ships with Prometheus: beside its binary, or on PATH. */
function promtool(): string {
  const prometheus = findMonitoringBinary('prometheus');
  const beside = prometheus && join(dirname(prometheus), 'promtool');
  const found = beside && isExecutable(beside) ? beside : findOnPath('promtool');
  if (!found) throw new Error('promtool is not installed (it comes with the prometheus package)');
  return found;
}

const run = (args: string[]) => execFileSync(promtool(), args, { cwd: RULES_DIR, encoding: 'utf8' });

const alertNames = () =>
  (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string }> }> }).groups.flatMap((g) =>
    g.rules.map((r) => r.alert),
  );

describeWithMonitoring(['prometheus'], 'Sluice’s alert rules', () => {
  it('pass promtool check rules', () => {
    expect(run(['check', 'rules', 'sluice-rules.yml'])).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their unit tests (promtool test rules sluice-rules.test.yml)', () => {
    expect(run(['test', 'rules', 'sluice-rules.test.yml'])).toMatch(/SUCCESS/);
  });

  it('every alert has at least one unit test', () => {
    const tested = readFileSync(join(RULES_DIR, 'sluice-rules.test.yml'), 'utf8');
    expect(alertNames().filter((alert) => !tested.includes(`alertname: ${alert}\n`))).toEqual([]);
  });

  describe('loaded into a real Prometheus', () => {
    let prometheus: PrometheusServer;
    beforeAll(async () => {
      prometheus = await startPrometheus({ targets: [], rules: readFileSync(RULES, 'utf8') });
    }, 60_000);
    afterAll(async () => {
      await prometheus?.stop();
    });

    it('serves every rule from /api/v1/rules, evaluated without error', async () => {
      type Rule = { name: string; type: string; health: string; lastError?: string };
      const rules = await eventually(
        async () => {
          const body = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
            data: { groups: Array<{ name: string; rules: Rule[] }> };
          };
          const all = body.data.groups.flatMap((g) => g.rules);
          return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
        },
        { what: 'Prometheus to load and evaluate the rules', timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(rules.map((r) => r.name)).toEqual(alertNames());
      expect(
        rules.map((r) => ({ name: r.name, type: r.type, health: r.health, lastError: r.lastError ?? '' })),
      ).toEqual(alertNames().map((name) => ({ name, type: 'alerting', health: 'ok', lastError: '' })));
    });
  });
});
