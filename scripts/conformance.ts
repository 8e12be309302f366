/**
 * `npm run conformance -- --endpoint URL`: checks a region endpoint against the http region
 * contract (docs/REGION-CONTRACT.md), writing a version of its own for a moment and putting the
 * original state back. Exit code 0 when every check passes, 1 when one fails, 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { runHttpConformance } from '../libs/targets/src/conformance-kit';

const USAGE = 'usage: npm run conformance -- --endpoint http(s)://host:port/path/of/region';

async function main(): Promise<number> {
  let endpoint: string | undefined;
  try {
    endpoint = parseArgs({ options: { endpoint: { type: 'string' } } }).values.endpoint;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!endpoint || !/^https?:\/\/[^/]/.test(endpoint)) {
    console.error(USAGE);
    return 2;
  }
  console.log(`checking ${endpoint} against the region contract (docs/REGION-CONTRACT.md)`);
  const checks = await runHttpConformance(endpoint, (c) => console.log(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`));
  const failed = checks.filter((c) => !c.ok).length;
  console.log(
    failed === 0
      ? `conformant: ${checks.length} checks passed`
      : `NOT conformant: ${failed} of ${checks.length} checks failed`,
  );
  return failed === 0 ? 0 : 1;
}

void main().then((code) => process.exit(code));
