import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parse, parseAllDocuments, type Document, type Node } from 'yaml';
import {
  DOCUMENT_KINDS,
  documentJsonSchema,
  documentSchemas,
  type DocumentKind,
} from '../../../libs/domain/src/config-as-code';
import { CliError } from './errors';

/** One problem in one file, where an editor can jump to it. */
export interface LintProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path in the document, e.g. `regions.1.weight`; empty for the document itself. */
  field: string;
  message: string;
}

export interface LoadedDocument {
  file: string;
  kind: DocumentKind;
  /** The document as written (before defaults). */
  value: Record<string, unknown>;
  /** Where each path of the document is, for problems found later (e.g. by the server). */
  locate(path: readonly (string | number)[]): { line: number; column: number };
}

export const formatProblem = (p: LintProblem) =>
  `${p.file}:${p.line}:${p.column}: ${p.field ? `${p.field}: ` : ''}${p.message}`;

let validator: ReturnType<Ajv2020['compile']> | undefined;
/** The published JSON Schema, compiled once: lint checks what an editor checks. */
function schemaValidator() {
  validator ??= new Ajv2020({ allErrors: true, strict: false }).compile(documentJsonSchema());
  return validator;
}

/** Every `.yaml`/`.yml` file under `target` (or `target` itself), in a stable order. */
export function documentFiles(target: string): string[] {
  if (!existsSync(target)) throw new CliError('FILE_UNREADABLE', `${target}: no such file or folder`);
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && ['.yaml', '.yml'].includes(extname(e.name)))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The node at `path`, or the deepest one on the way to it; with `key`, the key node of its last step. */
function nodeAt(doc: Document, path: readonly (string | number)[], key = false): Node | null {
  let node: unknown = doc.contents;
  let found: Node | null = (doc.contents as Node | null) ?? null;
  for (const [i, step] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) break;
      if (key && i === path.length - 1 && pair.key) return pair.key as Node;
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(step)];
    } else break;
    if (node && typeof node === 'object' && 'range' in node) found = node as Node;
  }
  return found;
}

function ajvProblem(error: ErrorObject): { path: (string | number)[]; message: string; key: boolean } | null {
  if (error.keyword === 'if' || error.keyword === 'allOf') return null;
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(error.params.additionalProperty);
      return { path: [...path, field], message: `unknown field "${field}"`, key: true };
    }
    case 'required':
      return { path, message: `missing required field "${String(error.params.missingProperty)}"`, key: false };
    case 'const':
      return { path, message: `must be ${JSON.stringify(error.params.allowedValue)}`, key: false };
    case 'enum':
      return { path, message: `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`, key: false };
    default:
      return { path, message: error.message ?? error.keyword, key: false };
  }
}

/**
 * Reads, checks and locates every document in `targets`: YAML syntax, then the published
 * JSON Schema (types, unknown fields, required ones), then the rules the server applies
 * (zod: cron expressions, template references, endpoints), then references across files
 * (`configFrom`, `$ref`, a rollout's template). Each problem carries file, line and column.
 */
export function loadDocuments(targets: readonly string[]): { documents: LoadedDocument[]; problems: LintProblem[] } {
  const documents: LoadedDocument[] = [];
  /** Documents with problems: not returned, but their names and templates still count across files. */
  const seenInvalid: LoadedDocument[] = [];
  const problems: LintProblem[] = [];
  for (const file of targets.flatMap(documentFiles)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError('FILE_UNREADABLE', `${file}: ${(err as Error).message}`);
    }
    const lineCounter = new LineCounter();
    for (const doc of parseAllDocuments(text, { lineCounter, prettyErrors: false })) {
      if (!('contents' in doc)) continue;
      const at = (offset: number) => {
        const pos = lineCounter.linePos(offset);
        return { line: pos.line, column: pos.col };
      };
      const report = (path: readonly (string | number)[], message: string, key = false) => {
        const node = nodeAt(doc, path, key);
        problems.push({ file, ...at(node?.range?.[0] ?? 0), field: path.join('.'), message });
      };
      if (doc.errors.length > 0) {
        for (const err of doc.errors) problems.push({ file, ...at(err.pos[0]), field: '', message: err.message });
        continue;
      }
      if (doc.contents === null) continue; // an empty document between `---`
      const value = doc.toJS() as unknown;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        report([], 'a document is a mapping with apiVersion and kind');
        continue;
      }
      // The published schema first (types, unknown and missing fields), then the server's own
      // rules for what it cannot say (cron, references, endpoints), each path reported once.
      const validate = schemaValidator();
      const reported = new Set<string>();
      if (!validate(value)) {
        for (const p of (validate.errors ?? []).map(ajvProblem)) {
          const id = `${p?.path.join('.')}:${p?.message}`;
          if (p && !reported.has(id)) {
            reported.add(id);
            reported.add(p.path.join('.'));
            report(p.path, p.message, p.key);
          }
        }
      }
      const kind = (value as { kind?: unknown }).kind as DocumentKind;
      if (!DOCUMENT_KINDS.includes(kind)) continue;
      const parsed = documentSchemas[kind].safeParse(value);
      const issues = parsed.success ? [] : parsed.error.issues;
      for (const issue of issues.filter((i) => !reported.has(i.path.join('.')))) {
        if (reported.size > 0 && /^(Invalid input|Unrecognized key)/.test(issue.message)) continue;
        report(issue.path as (string | number)[], issue.message);
      }
      const loaded: LoadedDocument = {
        file,
        kind,
        value: value as Record<string, unknown>,
        locate: (path) => at(nodeAt(doc, path)?.range?.[0] ?? 0),
      };
      if (reported.size === 0 && issues.length === 0) documents.push(loaded);
      else seenInvalid.push(loaded);
    }
  }
  problems.push(...crossChecks(documents, seenInvalid));
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return { documents, problems };
}

/** References out of a document: files beside it, and a rollout's templates in the service files given with it. */
function crossChecks(documents: readonly LoadedDocument[], invalid: readonly LoadedDocument[]): LintProblem[] {
  const problems: LintProblem[] = [];
  const report = (doc: LoadedDocument, path: (string | number)[], message: string) =>
    problems.push({ file: doc.file, ...doc.locate(path), field: path.join('.'), message });
  const services = new Map(
    [...invalid, ...documents].filter((d) => d.kind === 'Service').map((d) => [String(d.value.name), d.value] as const),
  );
  for (const doc of documents) {
    if (doc.kind === 'Service') {
      const ref = (doc.value.configSchema as { $ref?: string } | undefined)?.$ref;
      if (ref !== undefined) {
        const problem = jsonFileProblem(resolve(dirname(doc.file), ref));
        if (problem) report(doc, ['configSchema', '$ref'], problem);
      }
      continue;
    }
    const configFrom = doc.value.configFrom as string | undefined;
    if (configFrom !== undefined) {
      const problem = jsonFileProblem(resolve(dirname(doc.file), configFrom));
      if (problem) report(doc, ['configFrom'], problem);
    }
    const service = services.get(String(doc.value.service));
    if (!service) continue; // its templates are on the server: `sluice plan` checks there
    const template = doc.value.template as string | undefined;
    const rolloutTemplates = (service.rolloutTemplates as Array<{ name: string }> | undefined) ?? [];
    if (template !== undefined && !rolloutTemplates.some((t) => t.name === template)) {
      report(
        doc,
        ['template'],
        `unknown template "${template}": service ${String(doc.value.service)} has ${rolloutTemplates.map((t) => t.name).join(', ') || 'none'}`,
      );
    }
    const gateTemplates = ((service.gateTemplates as Array<{ name: string }> | undefined) ?? []).map((g) => g.name);
    ((doc.value.gates as Array<{ ref?: string }> | undefined) ?? []).forEach((gate, i) => {
      if (gate.ref !== undefined && !gateTemplates.includes(gate.ref)) {
        report(
          doc,
          ['gates', i, 'ref'],
          `unknown gate template "${gate.ref}": service ${String(doc.value.service)} has ${gateTemplates.join(', ') || 'none'}`,
        );
      }
    });
  }
  return problems;
}

/** Why `path` is not a JSON or YAML file that parses, or null. */
function jsonFileProblem(path: string): string | null {
  if (!existsSync(path)) return `${path}: no such file`;
  try {
    readDataFile(path);
    return null;
  } catch (err) {
    return `${path}: ${(err as Error).message}`;
  }
}

/** A JSON or YAML file's content (a config document, a JSON Schema). */
export function readDataFile(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  return /\.ya?ml$/i.test(path) ? parse(text) : (JSON.parse(text) as unknown);
}

/** The `kind: Rollout` document of `file`, linted first (LINT_FAILED lists each problem). */
export function loadRolloutDocument(file: string): LoadedDocument {
  const { documents, problems } = loadDocuments([file]);
  if (problems.length) {
    throw new CliError('LINT_FAILED', `${file} has ${problems.length} problem(s)`, problems.map(formatProblem));
  }
  const doc = documents.find((d) => d.kind === 'Rollout');
  if (!doc) throw new CliError('USAGE', `${file} holds no kind: Rollout document`);
  return doc;
}

export { DOCUMENT_KINDS };
