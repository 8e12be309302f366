import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../libs/platform/src/project-root';
import { codeCommands } from './code-commands';
import { configPath, listContexts, saveContext, useContext } from './contexts';
import { CliError, Exit } from './errors';
import { GatewayClient } from './gateway-client';
import { colourEnabled, painter, print } from './output';
import { readCommands } from './read-commands';
import { rolloutCommands } from './rollout-commands';
import { Session } from './session';

/** The `sluice` command line: every command, its options and its help. */
export function buildProgram(): Command {
  const program = new Command('sluice')
    .description('Sluice from the terminal: rollouts, plans, history and configuration as code')
    .option('--context <name>', 'a stored context (sluice config view)')
    .option('--server <url>', 'the gateway, e.g. http://127.0.0.1:4000 (overrides the context)')
    .option('--token <token>', 'a bearer token (overrides the context; prefer SLUICE_TOKEN)')
    .addOption(new Option('-o, --output <format>', 'table, json or yaml').default('table'))
    .showHelpAfterError()
    .exitOverride();
  const session = new Session(program);

  program
    .command('login')
    .description(`check a token against a gateway and store it as a context (${configPath()}, mode 0600)`)
    .usage('--server URL --token TOKEN [--name CONTEXT]')
    .option('--name <context>', 'the context name', 'default')
    .action(async (options: { name: string }) => {
      // --server and --token are the global options, given after `login` as anywhere else
      const { server, token } = program.opts<{ server?: string; token?: string }>();
      if (!server || !token) throw new CliError('USAGE', 'sluice login needs --server URL and --token TOKEN');
      const client = new GatewayClient(server, token);
      // any read proves the token: a bad one is UNAUTHENTICATED and nothing is stored
      await client.request('{ services { name } }');
      const path = saveContext({ name: options.name, server, token });
      process.stdout.write(`logged in to ${client.endpoint}; context "${options.name}" saved in ${path}\n`);
    });

  // a command, not an option: `rollout start --version v2` names the rollout's version
  program
    .command('version')
    .description("this CLI's version")
    .action(() => {
      const pkg = JSON.parse(readFileSync(join(projectRoot(__dirname), 'package.json'), 'utf8')) as { version: string };
      process.stdout.write(`sluice ${pkg.version}\n`);
    });

  const config = program.command('config').description('stored contexts');
  config
    .command('view')
    .description('the contexts, tokens hidden')
    .action(() => {
      const stored = listContexts();
      const safe = { ...stored, contexts: stored.contexts.map((c) => ({ ...c, token: `${c.token.slice(0, 4)}…` })) };
      print(safe, session.format(), () =>
        safe.contexts.length
          ? safe.contexts
              .map((c) => `${c.name === stored.currentContext ? '*' : ' '} ${c.name}  ${c.server}`)
              .join('\n')
          : `no contexts in ${configPath()}: sluice login --server URL --token TOKEN`,
      );
    });
  config
    .command('use-context')
    .argument('<name>')
    .action((name: string) => {
      useContext(name);
      process.stdout.write(`current context: ${name}\n`);
    });

  program.addCommand(rolloutCommands(session));
  readCommands(program, session);
  codeCommands(program, session);
  return program;
}

/** `error CODE: message`, each detail under it, and the exit code; never a stack trace. */
function fail(err: unknown): number {
  const paint = painter(colourEnabled(process.stderr));
  if (err instanceof CommanderError) {
    // commander has printed its own message (or the help or the version)
    return err.exitCode === 0 ? Exit.Ok : Exit.Usage;
  }
  if (err instanceof CliError) {
    process.stderr.write(`${paint('red', `error ${err.code}`)}: ${err.message}\n`);
    for (const line of err.details) process.stderr.write(`  ${line}\n`);
    return err.exit;
  }
  process.stderr.write(`${paint('red', 'error INTERNAL')}: ${(err as Error)?.message ?? String(err)}\n`);
  if (process.env.SLUICE_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
  return Exit.Failed;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.exitCode = fail(err);
  }
}

if (require.main === module) void main(process.argv);
