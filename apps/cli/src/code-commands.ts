import type { Command } from 'commander';
import { DOCUMENT_SCHEMA_PATH, documentJsonSchema } from '../../../libs/domain/src/config-as-code';
import { formatProblem, loadDocuments, type LoadedDocument } from './documents';
import { CliError, Exit } from './errors';
import type { GatewayClient } from './gateway-client';
import { print } from './output';
import {
  SERVICE_FIELDS,
  diffValues,
  fileTopology,
  formatChange,
  serverTopology,
  serviceInput,
  type Change,
  type ServerService,
} from './service-diff';
import type { Session } from './session';

/** Lint problems stop diff and apply before anything is sent. */
function loadOrFail(files: string[]): LoadedDocument[] {
  const { documents, problems } = loadDocuments(files);
  if (problems.length > 0) {
    throw new CliError(
      'LINT_FAILED',
      `${problems.length} problem(s) in ${files.join(', ')}`,
      problems.map(formatProblem),
    );
  }
  return documents;
}

async function serverService(client: GatewayClient, name: string): Promise<ServerService | null> {
  try {
    const data = await client.request<{ service: ServerService }>(
      `query Service($name: String!) { service(name: $name) { ${SERVICE_FIELDS} } }`,
      { name },
    );
    return data.service;
  } catch (err) {
    if (err instanceof CliError && err.code === 'NOT_FOUND') return null;
    throw err;
  }
}

interface Plan {
  doc: LoadedDocument;
  name: string;
  action: 'create' | 'update' | 'unchanged';
  changes: Change[];
}

/** What apply would do for each kind: Service document. */
async function planApply(client: GatewayClient, documents: LoadedDocument[]): Promise<Plan[]> {
  const plans: Plan[] = [];
  for (const doc of documents.filter((d) => d.kind === 'Service')) {
    const name = String(doc.value.name);
    const local = fileTopology(doc);
    const remote = await serverService(client, name);
    if (!remote) {
      plans.push({ doc, name, action: 'create', changes: diffValues(undefined, local, `service ${name}`) });
      continue;
    }
    const changes = diffValues(serverTopology(remote), local);
    plans.push({ doc, name, action: changes.length ? 'update' : 'unchanged', changes });
  }
  return plans;
}

function describe(plan: Plan, done: boolean): string {
  if (plan.action === 'unchanged') return `service ${plan.name} unchanged`;
  if (plan.action === 'create') return `service ${plan.name} ${done ? 'created' : 'would be created'}`;
  return [
    `service ${plan.name} ${done ? 'updated' : 'would change'}: ${plan.changes.length} change(s)`,
    ...plan.changes.map((c) => `  ${formatChange(c)}`),
  ].join('\n');
}

export function codeCommands(program: Command, session: Session): void {
  program
    .command('lint')
    .description('check YAML documents (kind Service, kind Rollout) without a server; problems as file:line:column')
    .requiredOption('-f, --file <path...>', 'files or folders')
    .action((options: { file: string[] }) => {
      const { documents, problems } = loadDocuments(options.file);
      const answer = {
        documents: documents.map((d) => ({ file: d.file, kind: d.kind, name: d.value.name ?? d.value.service })),
        problems,
      };
      print(answer, session.format(), () =>
        problems.length ? problems.map(formatProblem).join('\n') : `${documents.length} document(s) valid`,
      );
      if (problems.length) process.exitCode = Exit.Usage;
    });

  program
    .command('diff')
    .description('what `apply` would change on the server, field by field; exit 1 when something would')
    .requiredOption('-f, --file <path...>', 'files or folders')
    .action(async (options: { file: string[] }) => {
      const plans = await planApply(session.client(), loadOrFail(options.file));
      print(
        plans.map(({ name, action, changes }) => ({ name, action, changes })),
        session.format(),
        () => (plans.length ? plans.map((p) => describe(p, false)).join('\n') : 'no kind: Service documents'),
      );
      if (plans.some((p) => p.action !== 'unchanged')) process.exitCode = Exit.Failed;
    });

  program
    .command('apply')
    .description('create or update the services in the documents; a second run changes nothing and says so')
    .requiredOption('-f, --file <path...>', 'files or folders')
    .action(async (options: { file: string[] }) => {
      const client = session.client();
      const documents = loadOrFail(options.file);
      const plans = await planApply(client, documents);
      for (const plan of plans) {
        if (plan.action === 'unchanged') continue;
        const mutation = plan.action === 'create' ? 'registerService' : 'updateService';
        await client.request(`mutation Apply($input: RegisterServiceInput!) { ${mutation}(input: $input) { name } }`, {
          input: serviceInput(plan.doc),
        });
      }
      const rollouts = documents.filter((d) => d.kind === 'Rollout').length;
      print(
        plans.map(({ name, action, changes }) => ({ name, action, changes })),
        session.format(),
        () =>
          [
            ...plans.map((p) => describe(p, true)),
            ...(rollouts
              ? [`${rollouts} kind: Rollout document(s) skipped: start them with sluice rollout start -f`]
              : []),
          ].join('\n') || 'nothing to apply',
      );
    });

  program
    .command('schema')
    .description(`print the JSON Schema of the YAML documents (also in ${DOCUMENT_SCHEMA_PATH})`)
    .action(() => {
      process.stdout.write(`${JSON.stringify(documentJsonSchema(), null, 2)}\n`);
    });
}
