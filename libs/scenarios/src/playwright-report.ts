/** Playwright's JSON report (`reporter: json`), as the scenario runner reads it. */

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export interface PlaywrightReport {
  suites?: ReportSuite[];
  errors?: Array<{ message?: string }>;
}
interface ReportSuite {
  file?: string;
  suites?: ReportSuite[];
  specs?: Array<{
    file: string;
    tests: Array<{
      projectName: string;
      results: Array<{ status: string; duration: number; error?: { message?: string } }>;
    }>;
  }>;
}

interface Outcome {
  passed: boolean;
  durationMs: number;
  error?: string;
}

/** Per scenario file and project: passed when every test of the file passed (or was skipped on purpose). */
export function outcomesByFileAndProject(report: PlaywrightReport): Map<string, Outcome> {
  const outcomes = new Map<string, Outcome>();
  const visit = (suite: ReportSuite) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests) {
        const key = `${spec.file.split('/').pop()}|${test.projectName}`;
        const last = test.results.at(-1);
        const passed = last !== undefined && (last.status === 'passed' || last.status === 'skipped');
        const before = outcomes.get(key) ?? { passed: true, durationMs: 0 };
        outcomes.set(key, {
          passed: before.passed && passed,
          durationMs: before.durationMs + (last?.duration ?? 0),
          error:
            before.error ??
            (passed
              ? undefined
              : (clean(last?.error?.message) ?? `the test ended ${last?.status ?? 'without running'}`)),
        });
      }
    }
    suite.suites?.forEach(visit);
  };
  report.suites?.forEach(visit);
  return outcomes;
}

export function countTests(suites: ReportSuite[]): number {
  return suites.reduce((n, s) => n + (s.specs?.length ?? 0) + countTests(s.suites ?? []), 0);
}

export function firstReportError(report: PlaywrightReport): string | undefined {
  return clean(report.errors?.find((e) => e.message)?.message);
}

/** Text without terminal colour codes. */
export function stripColour(text: string): string {
  return text.replace(ANSI, '');
}

function clean(message: string | undefined): string | undefined {
  return message === undefined ? undefined : stripColour(message).trim().split('\n').slice(0, 8).join('\n');
}
