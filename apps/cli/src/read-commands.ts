import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  configInput,
  configTemplateOption,
  parseStrategy,
  regionConfigOption,
  rolloutDocumentInput,
  type ConfigOptions,
} from './rollout-commands';
import { CliError, Exit } from './errors';
import { parseTimeout } from './follow';
import { age, print, table } from './output';
import type { Session } from './session';

interface PlanPreview {
  valid: boolean;
  source: string;
  waves: Array<{
    index: number;
    regions: string[];
    bakeSeconds: number;
    requiresApproval: boolean;
    cumulativeExposure: number;
  }>;
  violations: Array<{ rule: string; message: string; regions: string[]; wave: number | null }>;
  /** With a config: the redundancy rules it breaks (docs/REDUNDANCY.md). */
  redundancy: { violations: Array<{ rule: string; severity: 'error' | 'warning'; message: string }> } | null;
}

const brokenCount = (plan: PlanPreview) =>
  plan.violations.length + (plan.redundancy?.violations.filter((v) => v.severity === 'error').length ?? 0);

interface PlanOptions extends ConfigOptions {
  file?: string;
  template?: string;
  strategy?: string;
}

/** The plan request of a kind: Rollout document (its config too), or of SERVICE and flags. */
function planInput(service: string | undefined, options: PlanOptions) {
  if (options.file) {
    const {
      service: s,
      strategy,
      waves,
      template,
      config,
      regionOverrides,
      configTemplate,
    } = rolloutDocumentInput(options.file);
    return { service: s, strategy, waves, template, config, regionOverrides, configTemplate };
  }
  if (!service) throw new CliError('USAGE', 'give SERVICE, or -f rollout.yaml');
  return { service, template: options.template, strategy: parseStrategy(options.strategy), ...configInput(options) };
}

export function readCommands(program: Command, session: Session): void {
  program
    .command('plan')
    .description(
      'the waves a rollout would run, with cumulative exposure and every broken rule (starts nothing); exit 1 if a rule is broken',
    )
    .argument('[service]')
    .option('-f, --file <file>', 'a kind: Rollout YAML document')
    .option('--template <name>')
    .option('--strategy <k=v,...>')
    .option('--config <file>', 'also check this config against the redundancy rules (JSON or YAML)')
    .addOption(regionConfigOption())
    .addOption(configTemplateOption())
    .action(async (service: string | undefined, options: PlanOptions) => {
      const data = await session.client().request<{ planRollout: PlanPreview }>(
        `query Plan($input: PlanRolloutInput!) { planRollout(input: $input) {
           valid source waves { index regions bakeSeconds requiresApproval cumulativeExposure }
           violations { rule message regions wave }
           redundancy { violations { rule severity message } } } }`,
        { input: planInput(service, options) },
      );
      const plan = data.planRollout;
      print(plan, session.format(), () =>
        [
          table(
            ['wave', 'regions', 'bake', 'approval', 'exposure'],
            plan.waves.map((w) => [
              w.index,
              w.regions.join(','),
              `${w.bakeSeconds}s`,
              w.requiresApproval ? 'yes' : 'no',
              `${(w.cumulativeExposure * 100).toFixed(1)}%`,
            ]),
          ),
          ...plan.violations.map((v) =>
            session.paint('red', `${v.rule}: ${v.message}${v.regions.length ? ` (${v.regions.join(', ')})` : ''}`),
          ),
          ...(plan.redundancy?.violations ?? []).map((v) =>
            session.paint(v.severity === 'error' ? 'red' : 'yellow', `${v.severity} ${v.message}`),
          ),
          plan.valid
            ? session.paint('green', 'plan is valid')
            : session.paint('red', `PLAN_INVALID: ${brokenCount(plan)} rule(s) broken`),
        ].join('\n'),
      );
      if (!plan.valid) process.exitCode = Exit.Failed;
    });

  program
    .command('changes')
    .description('every push and rollback that touched a region')
    .requiredOption('--region <region>')
    .option('--service <service>')
    .option('--since <duration>', 'how far back, e.g. 1h or 30m', '1h')
    .action(async (options: { region: string; service?: string; since: string }) => {
      const to = new Date();
      const from = new Date(to.getTime() - parseTimeout(options.since));
      const data = await session.client().request<{ changes: Array<Record<string, string | null>> }>(
        `query Changes($region: String!, $service: String, $from: DateTime!, $to: DateTime!) {
           changes(region: $region, service: $service, from: $from, to: $to) {
             changedAt kind service region fromVersion toVersion actor rolloutId targetKind } }`,
        { region: options.region, service: options.service ?? null, from: from.toISOString(), to: to.toISOString() },
      );
      const rows = data.changes;
      print(rows, session.format(), () =>
        rows.length === 0
          ? `no changes to ${options.region} in the last ${options.since}`
          : table(
              ['age', 'kind', 'service', 'region', 'from', 'to', 'actor', 'rollout'],
              rows.map((c) => [
                age(c.changedAt),
                c.kind,
                c.service,
                c.region,
                c.fromVersion,
                c.toVersion,
                c.actor,
                c.rolloutId,
              ]),
            ),
      );
    });

  program
    .command('incident')
    .description('which change likely caused an alert: the verdict and ranked suspects')
    .requiredOption(
      '--alert <file>',
      'the alert as JSON or YAML ({labels, startsAt}, or an Alertmanager webhook body); - for stdin',
    )
    .action(async (options: { alert: string }) => {
      const alert = readAlert(options.alert);
      const data = await session.client().request<{ incident: Record<string, unknown> & IncidentAnswer }>(
        `query Incident($alert: AlertInput!) { incident(alert: $alert) {
           verdict { verdict summary rolloutId }
           suspects { rank score verdict likelyCause rolloutId change { service region toVersion changedAt } } } }`,
        { alert },
      );
      const incident = data.incident;
      print(incident, session.format(), () =>
        [
          `${incident.verdict.verdict}: ${incident.verdict.summary}`,
          incident.suspects.length
            ? table(
                ['rank', 'score', 'verdict', 'rollout', 'service', 'region', 'version', 'changed'],
                incident.suspects.map((s) => [
                  s.rank,
                  s.score.toFixed(2),
                  s.verdict,
                  s.rolloutId,
                  s.change.service,
                  s.change.region,
                  s.change.toVersion,
                  age(s.change.changedAt),
                ]),
              )
            : 'no suspects',
        ].join('\n'),
      );
    });

  program
    .command('customers')
    .description(
      'customers of every region a rollout reached, ranked for outreach: exposure, whether it was undone, severity',
    )
    .argument('<rollout-id>')
    .option('--csv', 'as CSV, for a spreadsheet or a status page')
    .action(async (rolloutId: string, options: { csv?: boolean }) => {
      const data = await session
        .client()
        .request<{ affectedCustomers: Array<Record<string, string | number | boolean | null>> }>(
          'query Customers($id: ID!) { affectedCustomers(rolloutId: $id) { customer region exposedFrom exposedUntil rolledBack endedBy rank exposedSeconds errorRate baselineErrorRate badRequestsEstimate severity } }',
          { id: rolloutId },
        );
      const rows = data.affectedCustomers;
      const columns = [
        'customer',
        'region',
        'exposedFrom',
        'exposedUntil',
        'rolledBack',
        'endedBy',
        'rank',
        'exposedSeconds',
        'errorRate',
        'baselineErrorRate',
        'badRequestsEstimate',
        'severity',
      ];
      if (options.csv) {
        const cell = (v: unknown) =>
          v == null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v);
        process.stdout.write(
          `${[columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n')}\n`,
        );
        return;
      }
      print(rows, session.format(), () =>
        rows.length
          ? table(
              columns,
              rows.map((r) => columns.map((c) => (r[c] == null ? null : String(r[c])))),
            )
          : 'no customers',
      );
    });
}

interface IncidentAnswer {
  verdict: { verdict: string; summary: string };
  suspects: Array<{
    rank: number;
    score: number;
    verdict: string;
    rolloutId: string;
    change: { service: string; region: string; toVersion: string | null; changedAt: string };
  }>;
}

/** An alert as `{labels, startsAt}`, or the first alert of an Alertmanager webhook body. */
function readAlert(source: string): { labels: Record<string, string>; startsAt: string } {
  let value: unknown;
  try {
    value = parse(readFileSync(source === '-' ? 0 : source, 'utf8'));
  } catch (err) {
    throw new CliError('FILE_UNREADABLE', `--alert ${source}: ${(err as Error).message}`);
  }
  const alerts = (value as { alerts?: unknown[] })?.alerts;
  const alert = (Array.isArray(alerts) ? alerts[0] : value) as
    { labels?: Record<string, string>; startsAt?: string } | undefined;
  if (!alert?.labels || !alert.startsAt) {
    throw new CliError('USAGE', `--alert ${source}: give {labels, startsAt} or an Alertmanager webhook body`);
  }
  return { labels: alert.labels, startsAt: alert.startsAt };
}
