import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { satisfies, subset } from 'semver';
import ts from 'typescript';

/**
 * The production image, checked without a Docker engine: the Node of the Dockerfile's FROM
 * lines satisfies `engines`, and can load every package the production entry points reach.
 * The entry points are CommonJS (tsc), so a static import of an ES-module-only package is a
 * `require` of ES modules, which Node does unflagged only from 20.19 (20.x) and 22.12 on.
 */
const ROOT = join(__dirname, '..', '..');
const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;

interface Manifest {
  name?: string;
  type?: string;
  main?: string;
  exports?: unknown;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const manifest = readJson<Manifest>(join(ROOT, 'package.json'));

/**
 * What the image runs: `node <entry>`, compiled from these sources (see the Dockerfile and
 * docker-compose.yml), and the `sluice` CLI (the npm `bin`; in the image, `node dist/apps/cli/src/main.js`).
 */
const PRODUCTION_ENTRIES = [
  'apps/gateway/src/main.ts',
  'apps/cli/src/main.ts',
  'apps/worker/src/main.ts',
  'apps/region-sim/src/main.ts',
  'scripts/migrate.ts',
];

/** Versions where `require()` of an ES module works without a flag. */
const REQUIRE_ESM = '^20.19.0 || >=22.12.0';

/** Dependencies no entry point imports by name, and what loads each in production. */
const LOADED_BY_OTHERS: Record<string, string> = {
  '@as-integrations/express5': "@nestjs/apollo's driver, for Apollo Server on Express",
  '@nestjs/platform-express': "NestFactory's HTTP adapter, loaded by name",
  '@temporalio/proto': 'the SDK, pinned to its version so npm installs one copy',
  graphiql: 'the explorer, which serves its files from node_modules',
  protobufjs: 'the SDK, pinned so @temporalio/common and @temporalio/proto share one copy (docs/ARCHITECTURE.md)',
  react: 'the explorer, which serves its files from node_modules',
  'react-dom': 'the explorer, which serves its files from node_modules',
  rxjs: '@nestjs/core and @nestjs/common (a peer dependency)',
};

// ---- the Dockerfile ----

interface Stage {
  line: string;
  image: string;
  tag: string;
}

function dockerStages(): Stage[] {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  return [...text.matchAll(/^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)/gim)].map((m) => {
    const [image, tag = ''] = m[1].split('@')[0].split(':');
    return { line: m[0].trim(), image, tag };
  });
}

const nodeVersionOf = (stage: Stage) => /^(\d+\.\d+\.\d+)-/.exec(stage.tag)?.[1];

function imageNodeVersion(): string {
  const versions = [...new Set(dockerStages().map(nodeVersionOf))];
  if (versions.length !== 1 || versions[0] === undefined) {
    throw new Error(`the Dockerfile's stages name Node versions ${JSON.stringify(versions)}, expected one`);
  }
  return versions[0];
}

// ---- the import graph of an entry point ----

/**
 * How the compiled CommonJS loads a module: `require` (static imports too), `import()` (which
 * tsc keeps as an ES import), or `require.resolve` (finds it without loading it, as the worker
 * does for the workflow code it bundles).
 */
type Load = 'require' | 'import' | 'resolve';

interface Use {
  pkg: string;
  specifier: string;
  load: Load;
  /** Repository files from the entry point to the importing file. */
  chain: string[];
}

const BUILTINS = new Set(builtinModules);
const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

function resolveRelative(from: string, specifier: string): string {
  const base = join(dirname(from), specifier);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')];
  const found = candidates.find((c) => /\.(ts|tsx|js|json)$/.test(c) && existsSync(c));
  if (!found) throw new Error(`cannot resolve '${specifier}' from ${relative(ROOT, from)}`);
  return found;
}

/** Module specifiers a file loads at run time: type-only imports and exports are erased by tsc. */
function runtimeSpecifiers(file: string): Array<{ specifier: string; load: Load }> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: Array<{ specifier: string; load: Load }> = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            bindings !== undefined &&
            ts.isNamedImports(bindings) &&
            bindings.elements.length > 0 &&
            bindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) found.push({ specifier: node.moduleSpecifier.text, load: 'require' });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) found.push({ specifier: node.moduleSpecifier.text, load: 'require' });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      !node.isTypeOnly &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push({ specifier: node.moduleReference.expression.text, load: 'require' });
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0])) {
      const callee = node.expression.getText(source);
      const load: Load | undefined =
        node.expression.kind === ts.SyntaxKind.ImportKeyword
          ? 'import'
          : callee === 'require'
            ? 'require'
            : callee === 'require.resolve'
              ? 'resolve'
              : undefined;
      if (load) found.push({ specifier: node.arguments[0].text, load });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every package an entry point reaches. Below a `require.resolve`, nothing is loaded by require. */
function packagesReachedFrom(entry: string): Use[] {
  const uses: Use[] = [];
  const seen = new Set<string>();
  const walk = (file: string, chain: string[], loaded: boolean) => {
    const key = `${file}:${loaded}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (!/\.tsx?$/.test(file)) return;
    const via = [...chain, relative(ROOT, file)];
    for (const { specifier, load } of runtimeSpecifiers(file)) {
      const effective: Load = loaded ? load : 'resolve';
      if (specifier.startsWith('.')) walk(resolveRelative(file, specifier), via, effective !== 'resolve');
      else if (!specifier.startsWith('node:') && !BUILTINS.has(specifier)) {
        uses.push({ pkg: packageName(specifier), specifier, load: effective, chain: via });
      }
    }
  };
  walk(join(ROOT, entry), [], true);
  return uses;
}

// ---- what `require(specifier)` loads on a Node without require(esm) ----

/** The target of a conditional `exports` entry for the given conditions, Node's algorithm. */
function conditionalTarget(entry: unknown, conditions: string[]): string | undefined {
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) {
    for (const e of entry) {
      const t = conditionalTarget(e, conditions);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (entry && typeof entry === 'object') {
    for (const [key, value] of Object.entries(entry)) {
      if (key === 'default' || conditions.includes(key)) {
        const t = conditionalTarget(value, conditions);
        if (t !== undefined) return t;
      }
    }
  }
  return undefined;
}

function exportsEntry(exports: unknown, subpath: string): unknown {
  const sugar =
    typeof exports === 'string' ||
    Array.isArray(exports) ||
    (exports !== null && typeof exports === 'object' && !Object.keys(exports).some((k) => k.startsWith('.')));
  if (sugar) return subpath === '.' ? exports : undefined;
  const map = exports as Record<string, unknown>;
  if (subpath in map) return map[subpath];
  for (const [key, value] of Object.entries(map)) {
    const [prefix, suffix] = key.split('*');
    if (suffix !== undefined && subpath.startsWith(prefix) && subpath.endsWith(suffix)) {
      const match = subpath.slice(prefix.length, subpath.length - suffix.length);
      return JSON.parse(JSON.stringify(value).replaceAll('*', match));
    }
  }
  return undefined;
}

/** 'module' when a file is loaded as an ES module: by extension, else the nearest package.json's `type`. */
function formatOf(file: string, packageDir: string): 'module' | 'commonjs' {
  if (file.endsWith('.mjs')) return 'module';
  if (file.endsWith('.cjs') || file.endsWith('.json') || file.endsWith('.node')) return 'commonjs';
  for (let dir = dirname(file); dir.startsWith(packageDir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) return readJson<Manifest>(pkg).type === 'module' ? 'module' : 'commonjs';
  }
  return 'commonjs';
}

/**
 * How `require(specifier)` fares: 'commonjs' loads anywhere, 'esm' needs require(esm),
 * 'not-exported' fails on every Node.
 */
function requireFormat(specifier: string): 'commonjs' | 'esm' | 'not-exported' {
  const pkg = packageName(specifier);
  const dir = join(ROOT, 'node_modules', pkg);
  const meta = readJson<Manifest>(join(dir, 'package.json'));
  const subpath = specifier === pkg ? '.' : `.${specifier.slice(pkg.length)}`;
  let target: string | undefined;
  if (meta.exports !== undefined) {
    const entry = exportsEntry(meta.exports, subpath);
    target = conditionalTarget(entry, ['require', 'node']);
    // Node's require also takes 'module-sync' where it can load ES modules.
    if (target === undefined) {
      const esm = conditionalTarget(entry, ['module-sync', 'require', 'node']);
      return esm === undefined ? 'not-exported' : 'esm';
    }
  } else {
    target = subpath === '.' ? (meta.main ?? 'index.js') : subpath;
  }
  return formatOf(join(dir, target), dir) === 'module' ? 'esm' : 'commonjs';
}

// ---- the specification ----

describe('the production image', () => {
  const stages = dockerStages();
  const uses = PRODUCTION_ENTRIES.flatMap((entry) => packagesReachedFrom(entry).map((use) => ({ entry, ...use })));

  it('builds every stage on one Debian-based Node image, pinned to an exact version', () => {
    expect(stages.length).toBeGreaterThan(0);
    const versions = stages.map((s) => ({ line: s.line, node: nodeVersionOf(s) }));
    expect(versions).toEqual(stages.map((s) => ({ line: s.line, node: nodeVersionOf(stages[0]) })));
    for (const stage of stages) {
      expect({ line: stage.line, image: stage.image }).toEqual({ line: stage.line, image: 'node' });
      expect({ line: stage.line, tag: stage.tag }).toEqual({
        line: stage.line,
        tag: expect.stringMatching(/^\d+\.\d+\.\d+-(bookworm|trixie)(-slim)?$/),
      });
    }
  });

  it('names the same Node in .nvmrc, which developers install with `nvm install`', () => {
    expect(readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim().replace(/^v/, '')).toBe(imageNodeVersion());
  });

  it("runs a Node that satisfies package.json's engines", () => {
    const node = imageNodeVersion();
    expect(manifest.engines?.node).toBeDefined();
    expect({ node, engines: manifest.engines!.node, satisfied: satisfies(node, manifest.engines!.node!) }).toEqual({
      node,
      engines: manifest.engines!.node,
      satisfied: true,
    });
  });

  it('runs a Node that satisfies the engines of every package the image installs (package-lock.json)', () => {
    const node = imageNodeVersion();
    const lock = readJson<{ packages: Record<string, { dev?: boolean; engines?: { node?: string } | string[] }> }>(
      join(ROOT, 'package-lock.json'),
    );
    const refused = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && !p.dev && !Array.isArray(p.engines) && p.engines?.node)
      .filter(([, p]) => !satisfies(node, (p.engines as { node: string }).node))
      .map(([path, p]) => ({ path, engines: (p.engines as { node: string }).node, node }));
    expect(refused).toEqual([]);
  });

  it('takes every package a production entry point loads from `dependencies`, which the image keeps', () => {
    const deps = manifest.dependencies ?? {};
    const missing = uses
      .filter((u) => !(u.pkg in deps))
      .map((u) => ({
        package: u.pkg,
        entry: u.entry,
        via: u.chain.join(' -> '),
        inDevDependencies: u.pkg in (manifest.devDependencies ?? {}),
      }));
    expect(missing).toEqual([]);
  });

  it('keeps out of `dependencies` what no production entry point needs', () => {
    const reached = new Set(uses.map((u) => u.pkg));
    const unneeded = Object.keys(manifest.dependencies ?? {}).filter(
      (pkg) => !reached.has(pkg) && !(pkg in LOADED_BY_OTHERS),
    );
    expect(unneeded).toEqual([]);
    const stale = Object.keys(LOADED_BY_OTHERS).filter((pkg) => reached.has(pkg) || !manifest.dependencies?.[pkg]);
    expect(stale).toEqual([]);
  });

  it("requires ES-module-only packages only where the image's Node can", () => {
    const node = imageNodeVersion();
    const required = [...new Map(uses.filter((u) => u.load === 'require').map((u) => [u.specifier, u])).values()];
    const problems = required.flatMap((u) => {
      const format = requireFormat(u.specifier);
      if (format === 'commonjs' || (format === 'esm' && satisfies(node, REQUIRE_ESM))) return [];
      return [{ specifier: u.specifier, format, node, entry: u.entry, via: u.chain.join(' -> ') }];
    });
    expect(problems).toEqual([]);
  });

  it('allows in `engines` only a Node that can require the ES-module-only packages the entry points load', () => {
    const esm = [
      ...new Set(uses.filter((u) => u.load === 'require' && requireFormat(u.specifier) === 'esm').map((u) => u.pkg)),
    ];
    const engines = manifest.engines!.node!;
    expect({ esm, engines, subset: esm.length === 0 || subset(engines, REQUIRE_ESM) }).toEqual({
      esm,
      engines,
      subset: true,
    });
  });
});
