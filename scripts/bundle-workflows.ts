/**
 * `npm run bundle:workflows` (after `npm run build`): bundles the workflow code once, into
 * dist/workflow-bundle.js. A worker started with SLUICE_WORKFLOW_BUNDLE pointing at it skips
 * bundling at start-up (seconds, and a webpack run, on every start otherwise).
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../libs/platform/src/project-root';
import { WORKFLOW_TRACING_MODULE } from '../libs/platform/src/tracing';

async function main(): Promise<void> {
  const started = Date.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: [WORKFLOW_TRACING_MODULE],
  });
  const path = join(projectRoot(__dirname), 'dist', 'workflow-bundle.js');
  writeFileSync(path, code);
  console.log(`wrote ${path} (${Math.round(code.length / 1024)} KiB) in ${Date.now() - started} ms`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
