/**
 * `node dist/apps/file-agent/src/main.js --config-file PATH [--reload CMD] [--port N] [--host H]`:
 * the reference agent, serving the region contract for one config file (docs/TARGETS.md).
 */
import { parseArgs } from 'node:util';
import { createLogger, exitOnFatal, exitOnUncaught } from '../../../libs/platform/src/logger';
import { startFileAgent } from './file-agent';

const USAGE =
  'usage: file-agent --config-file PATH [--state-file PATH] [--reload "CMD"] [--port 8080] [--host 127.0.0.1]';

const log = createLogger('file-agent');

/** A wrong command line is told to the person who typed it, as text on stderr; the running agent logs JSON. */
async function main(): Promise<void> {
  let values;
  try {
    values = parseArgs({
      options: {
        'config-file': { type: 'string' },
        'state-file': { type: 'string' },
        reload: { type: 'string' },
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const port = Number(values.port);
  if (!values['config-file'] || !Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(USAGE);
    process.exit(2);
  }
  const agent = await startFileAgent({
    configFile: values['config-file'],
    stateFile: values['state-file'],
    reloadCommand: values.reload,
    port,
    host: values.host,
  });
  log.info(
    { url: agent.url, configFile: values['config-file'] },
    `file agent for ${values['config-file']} at ${agent.url} (endpoint for registerService)`,
  );
  const stop = () => void agent.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

exitOnUncaught(log);
main().catch(exitOnFatal(log, 'file agent failed to start'));
