import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * Import boundaries (docs/ARCHITECTURE.md, "Boundaries"). `no-restricted-imports` sees only the
 * import string, so each folder gets one block per depth: from a file `depth` folders below it,
 * a relative path that climbs `depth + 1` times has left the folder.
 */
const climbs = (n) => `^(\\.\\./){${n}}`;
const byDepth = (folder, patterns) =>
  Array.from({ length: 6 }, (_, depth) => ({
    files: [`${folder}/${'*/'.repeat(depth)}*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: patterns(depth + 1) }] },
  }));

const APPS = ['gateway', 'worker', 'region-sim'];
const boundaries = [
  // Later blocks replace earlier ones for the same file, so the stricter rules come last.
  ...byDepth('libs', (up) => [
    { regex: `${climbs(up)}(apps|workflows)/`, message: 'No lib imports an app or workflows/.' },
  ]),
  ...APPS.flatMap((app) =>
    byDepth(`apps/${app}`, (up) => [
      {
        regex: `${climbs(up)}((?!\\.\\./)|\\.\\./apps/)`,
        message: 'No app imports another app: share through libs/ (or workflows/ for the workflow contract).',
      },
    ]),
  ),
  ...['libs/domain', 'libs/judge'].flatMap((lib) =>
    byDepth(lib, (up) => [
      {
        regex: climbs(up),
        message: `${lib} is pure and runs in the workflow sandbox: it imports nothing outside itself.`,
      },
      { regex: '^(node:|@temporalio/)', message: `${lib} is pure: no Node.js or Temporal APIs.` },
    ]),
  ),
  ...byDepth('workflows', (up) => [
    {
      regex: `${climbs(up)}(?!libs/(domain|judge)/)`,
      message: 'workflows/ runs in the Temporal sandbox: it imports only libs/domain, libs/judge and its own files.',
    },
    {
      regex: '^(?![./]|@temporalio/(workflow|common)$)',
      message:
        'workflows/ runs in the Temporal sandbox: of packages, only @temporalio/workflow and @temporalio/common.',
    },
  ]),
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.data/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },
  {
    // Nest reads constructor and argument types through decorator metadata, which needs value imports.
    files: ['apps/gateway/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  ...boundaries,
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
