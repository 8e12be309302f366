import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { CliError } from './errors';

/** One gateway and the token to use there, by name (like a kubectl context). */
const contextSchema = z.strictObject({
  name: z.string().min(1),
  server: z.url(),
  token: z.string().min(1),
});
const configSchema = z.strictObject({
  currentContext: z.string().optional(),
  contexts: z.array(contextSchema).default([]),
});
export type CliContext = z.infer<typeof contextSchema>;
type CliConfig = z.infer<typeof configSchema>;

/** `SLUICE_CONFIG`, else `$XDG_CONFIG_HOME/sluice/config.yaml`, else `~/.config/sluice/config.yaml`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SLUICE_CONFIG) return env.SLUICE_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'sluice', 'config.yaml');
}

function readConfig(path: string): CliConfig {
  if (!existsSync(path)) return { contexts: [] };
  const parsed = configSchema.safeParse(parse(readFileSync(path, 'utf8')) ?? {});
  if (!parsed.success) {
    throw new CliError('CONFIG_INVALID', `${path} is not a sluice config: ${parsed.error.issues[0].message}`, [
      'fix it, or remove it and run sluice login again',
    ]);
  }
  return parsed.data;
}

/** Written with mode 0600 (it holds tokens), in a folder only its owner may enter. */
function writeConfig(path: string, config: CliConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, stringify(config), { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Stores a context and makes it the current one. */
export function saveContext(context: CliContext, env: NodeJS.ProcessEnv = process.env): string {
  const path = configPath(env);
  const config = readConfig(path);
  const contexts = config.contexts.filter((c) => c.name !== context.name);
  writeConfig(path, { currentContext: context.name, contexts: [...contexts, context] });
  return path;
}

export function listContexts(env: NodeJS.ProcessEnv = process.env): CliConfig {
  return readConfig(configPath(env));
}

export function useContext(name: string, env: NodeJS.ProcessEnv = process.env): void {
  const path = configPath(env);
  const config = readConfig(path);
  if (!config.contexts.some((c) => c.name === name)) {
    throw new CliError('NO_CONTEXT', `no context "${name}" in ${path}`, [
      `contexts: ${config.contexts.map((c) => c.name).join(', ') || 'none'}`,
    ]);
  }
  writeConfig(path, { ...config, currentContext: name });
}

/**
 * The gateway and token to use: `--context`, else the current context, with `SLUICE_SERVER`
 * and `SLUICE_TOKEN` overriding either field.
 */
export function resolveContext(
  options: { context?: string },
  env: NodeJS.ProcessEnv = process.env,
): { server: string; token: string; name: string } {
  const path = configPath(env);
  const config = readConfig(path);
  const wanted = options.context ?? config.currentContext;
  const stored = config.contexts.find((c) => c.name === wanted);
  if (options.context && !stored) {
    throw new CliError('NO_CONTEXT', `no context "${options.context}" in ${path}`);
  }
  const server = env.SLUICE_SERVER || stored?.server;
  const token = env.SLUICE_TOKEN || stored?.token;
  if (!server || !token) {
    throw new CliError('NO_CONTEXT', 'no gateway to talk to', [
      'run: sluice login --server http://127.0.0.1:4000 --token <token>',
      'or set SLUICE_SERVER and SLUICE_TOKEN',
    ]);
  }
  return { server: server.replace(/\/+$/, ''), token, name: stored?.name ?? 'env' };
}
