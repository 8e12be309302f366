import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RolloutStatus } from '../../../libs/domain/src';
import { loadRolloutDocument, readDataFile } from './documents';
import { CliError, Exit } from './errors';
import { EVENT_FIELDS, exitFor, follow, parseTimeout } from './follow';
import type { Session } from './session';
import { age, print, table } from './output';
import { renderTree, type ServedEvent } from './rollout-tree';

const ROLLOUT_FIELDS = 'id service version status currentWave requestedBy requestedAt stopReason';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface RolloutRow {
  id: string;
  service: string;
  version: string;
  status: RolloutStatus;
  currentWave: number;
  requestedBy: string;
  requestedAt: string;
  stopReason: string | null;
}

/** `--strategy bakeSeconds=60,approvalAfterCanary=false` as a strategy object. */
export function parseStrategy(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  const strategy: Record<string, unknown> = {};
  for (const pair of text.split(',').filter(Boolean)) {
    const [key, value] = pair.split('=', 2);
    if (!key || value === undefined) throw new CliError('USAGE', `--strategy ${text}: use key=value[,key=value]`);
    strategy[key.trim()] =
      value === 'true' ? true : value === 'false' ? false : Number.isNaN(Number(value)) ? value : Number(value);
  }
  return strategy;
}

/** A rollout id as given, or the newest rollout of a service named instead. */
async function rolloutIdOf(session: Session, idOrService: string): Promise<string> {
  if (UUID.test(idOrService)) return idOrService;
  const data = await session
    .client()
    .request<{ rollouts: { edges: Array<{ node: { id: string } }> } }>(
      'query Newest($service: String) { rollouts(first: 1, filter: { service: $service }) { edges { node { id } } } }',
      { service: idOrService },
    );
  const newest = data.rollouts.edges[0]?.node.id;
  if (!newest)
    throw new CliError('NOT_FOUND', `no rollout of a service named "${idOrService}", and it is not a rollout id`);
  return newest;
}

/** A `kind: Rollout` document as the API takes it: its `configFrom` file read, relative to it. */
export function rolloutDocumentInput(file: string): Record<string, unknown> {
  const doc = loadRolloutDocument(file);
  const { apiVersion: _v, kind: _k, configFrom, ...rest } = doc.value;
  const config = configFrom === undefined ? rest.config : readDataFile(resolve(dirname(doc.file), String(configFrom)));
  return { ...rest, config };
}

export interface ConfigOptions {
  config?: string;
  regionConfig?: string[];
  configTemplate?: boolean;
}

/** `--config FILE`, `--region-config REGION=FILE…` and `--config-template`, as the API takes them. */
export function configInput(options: ConfigOptions): Record<string, unknown> {
  if (options.config === undefined) {
    if (options.regionConfig?.length || options.configTemplate) {
      throw new CliError('USAGE', '--region-config and --config-template need --config FILE');
    }
    return {};
  }
  let config: unknown;
  try {
    config = options.config === '-' ? JSON.parse(readFileSync(0, 'utf8')) : readDataFile(options.config);
  } catch (err) {
    throw new CliError('FILE_UNREADABLE', `--config ${options.config}: ${(err as Error).message}`);
  }
  return {
    config,
    ...(options.regionConfig?.length ? { regionOverrides: options.regionConfig.map(regionOverride) } : {}),
    ...(options.configTemplate ? { configTemplate: true } : {}),
  };
}

/** The start request from `-f rollout.yaml` or from flags. */
function startInput(service: string | undefined, options: StartOptions): Record<string, unknown> {
  if (options.file) return rolloutDocumentInput(options.file);
  if (!service || !options.version || !options.config) {
    throw new CliError('USAGE', 'give SERVICE --version V --config FILE, or -f rollout.yaml');
  }
  return {
    service,
    version: options.version,
    ...configInput(options),
    ...(options.description ? { description: options.description } : {}),
    ...(options.template ? { template: options.template } : {}),
    ...(options.strategy ? { strategy: parseStrategy(options.strategy) } : {}),
    ...(options.gateTemplate?.length ? { gates: options.gateTemplate.map((ref) => ({ ref })) } : {}),
    ...(options.gateInterval ? { gateIntervalSeconds: Number(options.gateInterval) } : {}),
  };
}

/** `--region-config eu-2=eu-2.json`: that region's values, merged over the config. */
function regionOverride(text: string): { region: string; config: unknown } {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw new CliError('USAGE', `--region-config ${text}: use REGION=FILE`);
  const file = text.slice(at + 1);
  try {
    return { region: text.slice(0, at), config: readDataFile(file) };
  } catch (err) {
    throw new CliError('FILE_UNREADABLE', `--region-config ${text}: ${(err as Error).message}`);
  }
}

interface StartOptions extends ConfigOptions {
  file?: string;
  version?: string;
  description?: string;
  template?: string;
  strategy?: string;
  gateTemplate?: string[];
  gateInterval?: string;
  wait?: boolean;
  timeout?: string;
}

/** The per-region config flags `rollout start` and `plan` share (a fresh Option for each command). */
export const regionConfigOption = () =>
  new Option('--region-config <region=file...>', "a region's own values, merged over the config (JSON Merge Patch)");
export const configTemplateOption = () =>
  new Option('--config-template', 'fill {{region}} and {{service}} in each region’s config');

/** Waits for the rollout to settle, printing each event as a line on stderr; exits as `status` does. */
async function waitAndExit(session: Session, id: string, timeout: string | undefined): Promise<never> {
  const seen = { count: 0 };
  const { status } = await follow(session.client(), id, {
    timeoutMs: timeout ? parseTimeout(timeout) : undefined,
    onChange: (events) => {
      for (const event of events.slice(seen.count))
        process.stderr.write(`${event.recordedAt}  ${event.type}${describe(event)}\n`);
      seen.count = events.length;
    },
  });
  if (status === null) {
    process.stderr.write(`timed out after ${timeout}: rollout ${id} is still running\n`);
    process.exit(Exit.Timeout);
  }
  process.stdout.write(`${id} ${status}\n`);
  process.exit(exitFor(status));
}

function describe(event: ServedEvent): string {
  const d = event.data;
  if (d.region) return ` ${String(d.region)}${d.verdict ? ` ${String(d.gate)} ${String(d.verdict)}` : ''}`;
  if (d.wave !== undefined) return ` wave ${String(d.wave)}`;
  if (d.reason) return ` ${String(d.reason)}`;
  return '';
}

export function rolloutCommands(session: Session): Command {
  const rollout = new Command('rollout').description('start, follow and steer rollouts');

  rollout
    .command('start')
    .description('start a rollout of SERVICE (or of the kind: Rollout document in -f)')
    .argument('[service]')
    .option('-f, --file <file>', 'a kind: Rollout YAML document')
    .option('--version <version>', 'version label, e.g. v42')
    .option('--config <file>', 'the config document (JSON or YAML; - reads JSON from stdin)')
    .addOption(regionConfigOption())
    .addOption(configTemplateOption())
    .option('--description <text>')
    .option('--template <name>', "one of the service's rollout templates")
    .option('--strategy <k=v,...>', 'e.g. bakeSeconds=60,approvalAfterCanary=false')
    .option('--gate-template <name...>', "the service's gate templates to use as gates")
    .option('--gate-interval <seconds>', 'seconds between gate evaluations')
    .option('--wait', 'follow it until it ends; exit as `rollout status` does')
    .option('--timeout <duration>', 'with --wait: give up after this (e.g. 30m)')
    .action(async (service: string | undefined, options: StartOptions) => {
      const input = startInput(service, options);
      const data = await session
        .client()
        .request<{ startRollout: RolloutRow }>(
          `mutation Start($input: StartRolloutInput!) { startRollout(input: $input) { ${ROLLOUT_FIELDS} } }`,
          { input },
        );
      const started = data.startRollout;
      print(started, session.format(), () => `rollout ${started.id} started: ${started.service} → ${started.version}`);
      if (options.wait) await waitAndExit(session, started.id, options.timeout);
    });

  rollout
    .command('list')
    .description('rollouts, newest first')
    .option('--service <service>')
    .addOption(new Option('--status <status>').argParser((s) => s.toUpperCase()))
    .option('--region <region>', 'rollouts that reached this region')
    .option('--limit <n>', 'how many (at most 500)', '20')
    .action(async (options: { service?: string; status?: string; region?: string; limit: string }) => {
      const filter = { service: options.service, status: options.status, region: options.region };
      const data = await session
        .client()
        .request<{ rollouts: { edges: Array<{ node: RolloutRow }> } }>(
          `query List($filter: RolloutFilterInput, $first: Int!) { rollouts(filter: $filter, first: $first) { edges { node { ${ROLLOUT_FIELDS} } } } }`,
          { filter, first: Number(options.limit) },
        );
      const rows = data.rollouts.edges.map((e) => e.node);
      print(rows, session.format(), () =>
        rows.length === 0
          ? 'no rollouts'
          : table(
              ['id', 'service', 'version', 'status', 'wave', 'age', 'requested by'],
              rows.map((r) => [
                r.id,
                r.service,
                r.version,
                session.paintStatus(r.status),
                r.currentWave,
                age(r.requestedAt),
                r.requestedBy,
              ]),
            ),
      );
    });

  rollout
    .command('get')
    .description('a rollout as a tree of waves and regions; --watch follows it live')
    .argument('<id-or-service>', 'a rollout id, or a service for its newest rollout')
    .option('-w, --watch', 'redraw on every event until it ends')
    .action(async (idOrService: string, options: { watch?: boolean }) => {
      const id = await rolloutIdOf(session, idOrService);
      if (options.watch) {
        await watch(session, id);
        return;
      }
      const data = await session
        .client()
        .request<{ rollout: RolloutRow & { events: ServedEvent[] } }>(
          `query Get($id: ID!) { rollout(id: $id) { ${ROLLOUT_FIELDS} events { ${EVENT_FIELDS} } } }`,
          { id },
        );
      print(data.rollout, session.format(), () => renderTree(data.rollout.events, Date.now(), session.paint));
    });

  rollout
    .command('status')
    .description(
      'wait for a rollout to end: exit 0 succeeded; 1 rolled back, aborted or failed; 2 timeout; 3 usage or auth error',
    )
    .argument('<id-or-service>')
    .option('--timeout <duration>', 'give up after this (e.g. 30m); default: wait')
    .action(async (idOrService: string, options: { timeout?: string }) => {
      const id = await rolloutIdOf(session, idOrService);
      await waitAndExit(session, id, options.timeout);
    });

  const control = (name: string, description: string) =>
    rollout.command(name).description(description).argument('<id-or-service>');

  control('pause', 'hold before the next step')
    .requiredOption('--reason <text>')
    .action(async (idOrService: string, o: { reason: string }) =>
      controlAction(
        session,
        'pauseRollout(id: $id, reason: $reason)',
        { id: await rolloutIdOf(session, idOrService), reason: o.reason },
        'ID!, $reason: String!',
      ),
    );
  control('resume', 'continue a paused rollout').action(async (idOrService: string) =>
    controlAction(session, 'resumeRollout(id: $id)', { id: await rolloutIdOf(session, idOrService) }, 'ID!'),
  );
  control('approve', 'approve the wave waiting for approval (not as its requester)')
    .requiredOption('--wave <n>', 'the wave waiting')
    .option('--comment <text>')
    .action(async (idOrService: string, o: { wave: string; comment?: string }) =>
      controlAction(
        session,
        'approveWave(id: $id, wave: $wave, comment: $comment)',
        { id: await rolloutIdOf(session, idOrService), wave: Number(o.wave), comment: o.comment ?? null },
        'ID!, $wave: Int!, $comment: String',
      ),
    );
  control('abort', 'stop and roll back every touched region (ends ABORTED)')
    .requiredOption('--reason <text>')
    .action(async (idOrService: string, o: { reason: string }) =>
      controlAction(
        session,
        'abortRollout(id: $id, reason: $reason)',
        { id: await rolloutIdOf(session, idOrService), reason: o.reason },
        'ID!, $reason: String!',
      ),
    );
  control('halt', 'what monitoring does: stop and roll back (ends ROLLED_BACK)')
    .requiredOption('--reason <text>')
    .action(async (idOrService: string, o: { reason: string }) => {
      const id = await rolloutIdOf(session, idOrService);
      const data = await session
        .client()
        .request<{ haltRollout: Record<string, unknown> }>(
          'mutation Halt($id: ID!, $reason: String!) { haltRollout(id: $id, reason: $reason) { rolloutId status outcome recorded wave phase } }',
          { id, reason: o.reason },
        );
      const r = data.haltRollout;
      print(r, session.format(), () => `rollout ${String(r.rolloutId)} ${String(r.outcome)}: ${String(r.status)}`);
    });
  control('retry-rollback', 'try the failed regions of a ROLLBACK_FAILED rollout again')
    .option('--force', 'restore regions changed by hand since too')
    .action(async (idOrService: string, o: { force?: boolean }) => {
      const id = await rolloutIdOf(session, idOrService);
      const data = await session
        .client()
        .request<{ retryRollback: Record<string, unknown> & { refused: Array<{ region: string; reason: string }> } }>(
          'mutation Retry($id: ID!, $force: Boolean!) { retryRollback(id: $id, force: $force) { rolloutId status wave phase refused { region reason } } }',
          { id, force: !!o.force },
        );
      const r = data.retryRollback;
      print(r, session.format(), () =>
        [
          `rollout ${String(r.rolloutId)}: ${String(r.status)}`,
          ...r.refused.map((x) => `refused ${x.region}: ${x.reason}`),
        ].join('\n'),
      );
    });
  return rollout;
}

async function controlAction(
  session: Session,
  call: string,
  variables: Record<string, unknown>,
  params: string,
): Promise<void> {
  const name = call.slice(0, call.indexOf('('));
  const data = await session
    .client()
    .request<Record<string, { rolloutId: string; status: string; wave: number; phase: string | null }>>(
      `mutation Control($id: ${params}) { ${call} { rolloutId status wave phase } }`,
      variables,
    );
  const r = data[name];
  print(
    r,
    session.format(),
    () => `rollout ${r.rolloutId}: ${r.status}${r.phase ? ` (${r.phase})` : ''}, wave ${r.wave}`,
  );
}

/**
 * `get --watch`: the tree, redrawn on every event of the subscription (no polling), and once
 * a second for the bake countdown. On a terminal the screen is redrawn in place; otherwise
 * each frame is printed after a separator line, so it can be logged.
 */
async function watch(session: Session, id: string): Promise<void> {
  const tty = !!process.stdout.isTTY;
  let last: readonly ServedEvent[] = [];
  let drawn = '';
  let pending: NodeJS.Timeout | undefined;
  const draw = () => {
    pending = undefined;
    const frame = renderTree(last, Date.now(), session.paint);
    if (!tty && frame === drawn) return;
    drawn = frame;
    process.stdout.write(tty ? `\u001b[H\u001b[2J${frame}\n` : `--- ${new Date().toISOString()}\n${frame}\n`);
  };
  const ticker = tty ? setInterval(draw, 1000) : undefined;
  try {
    const { status } = await follow(session.client(), id, {
      onChange: (events) => {
        last = [...events];
        // the stored events arrive at once: one frame for them, not one each
        pending ??= setTimeout(draw, 100);
      },
    });
    clearTimeout(pending);
    draw();
    if (status) process.exitCode = exitFor(status);
  } finally {
    clearInterval(ticker);
  }
}
