import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../libs/platform/src/project-root';

/** Packages whose versions shape the figures. */
const MEASURED_PACKAGES = ['@temporalio/worker', '@temporalio/client', '@nestjs/core', '@apollo/server', 'pg'];

function packageVersion(name: string): string {
  try {
    const manifest = join(projectRoot(__dirname), 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Machine and versions, stamped on every report so figures can be compared fairly. */
export function machineInfo(extra: Record<string, string> = {}): Record<string, string> {
  const root = projectRoot(__dirname);
  const tools = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      sluice?: { tools?: Record<string, string> };
    }
  ).sluice?.tools;
  return {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    ...Object.fromEntries(MEASURED_PACKAGES.map((p) => [p, packageVersion(p)])),
    ...(tools ? { 'temporal CLI (pinned)': tools.temporalCli ?? 'unknown' } : {}),
    ...extra,
  };
}

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export interface Report {
  name: string;
  startedAt: string;
  machine: Record<string, string>;
  parameters: Record<string, unknown>;
  results: Record<string, unknown>;
  targets: Array<{ what: string; target: string; measured: string; met: boolean }>;
  notes: string[];
}

/** Writes `<name>-<timestamp>.json` and `.md` under bench/results/ and returns their paths. */
export function writeReport(root: string, report: Report): { json: string; markdown: string } {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = join(dir, `${report.name}-${stamp}.json`);
  const markdown = join(dir, `${report.name}-${stamp}.md`);
  writeFileSync(json, JSON.stringify(report, null, 2));
  const lines = [
    `# ${report.name} (${report.startedAt})`,
    '',
    '## Machine',
    ...Object.entries(report.machine).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '## Parameters',
    ...Object.entries(report.parameters).map(([k, v]) => `- ${k}: ${JSON.stringify(v)}`),
    '',
    '## Targets',
    '| what | target | measured | met |',
    '|---|---|---|---|',
    ...report.targets.map((t) => `| ${t.what} | ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`),
    '',
    '## Results',
    '```json',
    JSON.stringify(report.results, null, 2),
    '```',
    '',
    '## Notes',
    ...report.notes.map((n) => `- ${n}`),
    '',
  ];
  writeFileSync(markdown, lines.join('\n'));
  return { json, markdown };
}

/** Writes the report and prints its results and where it went. */
export function publish(root: string, report: Report, log: (msg: string) => void): void {
  const paths = writeReport(root, report);
  console.log(JSON.stringify(report.results, null, 2));
  log(`report: ${paths.markdown}`);
}

/** Runs a benchmark's main; any failure prints and exits non-zero. */
export function runBench(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
