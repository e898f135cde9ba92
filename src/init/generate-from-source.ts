// `gatehouse init` without the CLI: introspect a source, select relations, build the document, prove it loads and binds.
import { Worker } from 'node:worker_threads';
import type { DataSource, DataSources } from '../db/sources.js';
import { SpecError } from '../errors/app-error.js';
import { checkBindings } from '../openapi/check-bindings.js';
import { loadSpec, type LoadedSpec } from '../openapi/load-spec.js';
import type { Operation, Resource } from '../openapi/resource.js';
import { buildDocument, type BuiltDocument } from './build-document.js';
import { defaultSchemaOf, introspectSource, requireSchemas } from './introspect-source.js';
import type { NamingStyle } from './naming.js';
import { selectRelations } from './select-relations.js';
import { PROBLEM_SCHEMA } from './shared-components.js';
import type { VerifyReply, VerifyRequest } from './verify-worker.js';
import { SourceInputError } from './source-input-error.js';

/** Progress as init moves through its stages; the CLI draws it as a bar on stderr. */
export interface InitProgress {
  stage(name: 'introspecting' | 'generating' | 'verifying'): void;
  /** After each relation while generating. */
  relation(done: number, total: number): void;
}

export interface GenerateFromSourceOptions {
  /** Schemas to read (default: the source's default schema). */
  readonly schemas?: readonly string[];
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly naming?: NamingStyle;
  readonly writableViews?: boolean;
  /** Load the result with the spec loader and check its bindings against the database (default true). */
  readonly verify?: boolean;
  readonly progress?: InitProgress;
}

export interface GeneratedSpec extends BuiltDocument {
  readonly schemas: readonly string[];
  /** Relations left out by --include / --exclude. */
  readonly excluded: readonly string[];
}

export async function generateFromSource(source: DataSource, options: GenerateFromSourceOptions = {}): Promise<GeneratedSpec> {
  const defaultSchema = defaultSchemaOf(source);
  const schemas = options.schemas && options.schemas.length > 0 ? [...new Set(options.schemas)] : [defaultSchema];
  options.progress?.stage('introspecting');
  const catalog = await introspectSource(source, schemas);
  requireSchemas(source, schemas, catalog);
  const where = `schema${schemas.length > 1 ? 's' : ''} ${schemas.join(', ')} of source "${source.name}"`;
  if (catalog.relations.length === 0) {
    throw new SourceInputError('empty_schema', `${where} ha${schemas.length > 1 ? 've' : 's'} no tables or views: nothing to generate`);
  }
  const picked = selectRelations(catalog.relations, { include: options.include, exclude: options.exclude });
  if (picked.selected.length === 0) {
    const unmatched = picked.unmatchedIncludes.length > 0 ? ` (--include ${picked.unmatchedIncludes.join(', ')} matched nothing)` : '';
    throw new SourceInputError(
      'nothing_selected',
      `--include / --exclude left none of the ${catalog.relations.length} tables and views in ${where}${unmatched}`,
    );
  }

  options.progress?.stage('generating');
  const built = buildDocument(
    { ...catalog, relations: picked.selected },
    {
      source: source.name,
      naming: options.naming ?? 'camel',
      // The first schema asked for is the main one: its relations get unprefixed names.
      defaultSchema: schemas[0]!,
      writableViews: options.writableViews,
      onProgress: (done, total) => options.progress?.relation(done, total),
    },
  );
  if (built.resources.length === 0) {
    throw new SourceInputError('nothing_selected', `none of the selected tables and views in ${where} can be exposed`);
  }

  if (options.verify !== false) {
    options.progress?.stage('verifying');
    await verify(built.document, source);
  }
  return {
    ...built,
    schemas: catalog.schemas,
    excluded: picked.excluded.map((r) => `${r.schema}.${r.name}`),
  };
}

/** Roughly how much of the document (JSON characters) one loadSpec call verifies. */
const VERIFY_SLICE_CHARS = 1_000_000;
/** Old-generation heap of the verifying worker: several times what one slice needs, and a cap on its garbage. */
const VERIFY_HEAP_MB = 64;

/**
 * The guarantee init makes: the document loads and its bindings match the database, so it serves unchanged.
 * The loader runs in a worker thread on slices of about VERIFY_SLICE_CHARS (whole resources, each slice with the
 * components it uses): its validation compiles a fresh validator per call and leaves many times the document's size
 * in garbage, which a heap-limited worker collects as it goes instead of letting the process grow past a few hundred
 * MB on a 1,000-table schema. What slices cannot see on their own — operationIds unique across the document — is
 * checked here, and the bindings are checked all at once against one introspection.
 */
async function verify(document: Record<string, unknown>, source: DataSource): Promise<void> {
  try {
    const { resources, operations } = await loadSlices(document);
    const seen = new Set<string>();
    const duplicates: string[] = [];
    for (const { operationId } of operations) {
      if (seen.has(operationId)) duplicates.push(operationId);
      seen.add(operationId);
    }
    if (duplicates.length > 0) throw new SpecError(duplicates.map((id) => `duplicate operationId ${id}`));
    const single: DataSources = {
      get: (name) => (name === source.name ? source : undefined),
      all: () => [source],
      unreachable: async () => [],
      destroy: async () => undefined,
    };
    await checkBindings(resources, operations, single);
  } catch (err) {
    if (err instanceof SpecError) {
      // A defect in the generator, not the operator's input: say so, with the loader's own words.
      throw new Error(`the generated document does not pass its own check:\n${err.problems.map((p) => `  - ${p}`).join('\n')}`, {
        cause: err,
      });
    }
    throw err;
  }
}

async function loadSlices(document: Record<string, unknown>): Promise<{ resources: Resource[]; operations: Operation[] }> {
  const resources: Resource[] = [];
  const operations: Operation[] = [];
  const add = (spec: Pick<LoadedSpec, 'resources' | 'operations'>): void => {
    resources.push(...spec.resources);
    operations.push(...spec.operations);
  };
  let worker: Worker | undefined = startVerifyWorker();
  try {
    for (const slice of slices(document, VERIFY_SLICE_CHARS)) {
      let reply: VerifyReply | undefined;
      if (worker) {
        try {
          reply = await ask(worker, { slice });
        } catch {
          // The worker died (out of its heap on an unusually wide slice): finish in this thread, correct if larger.
          await worker.terminate();
          worker = undefined;
        }
      }
      if (reply === undefined) {
        add(await loadSpec(slice));
        continue;
      }
      if (!reply.ok) throw reply.problems.length > 0 ? new SpecError(reply.problems) : new Error(reply.message);
      add(reply.spec);
    }
  } finally {
    await worker?.terminate();
  }
  return { resources, operations };
}

function startVerifyWorker(): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: VERIFY_HEAP_MB };
  // Compiled, this module is .js and so is its worker. Run from source (tests, `node --import tsx`) it is .ts, and
  // Node 20 does not apply the parent's loader hooks to a worker's entry, so the worker registers tsx itself first.
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./verify-worker.js', import.meta.url), { resourceLimits });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./verify-worker.ts', import.meta.url).href);
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true, resourceLimits });
}

function ask(worker: Worker, request: VerifyRequest): Promise<VerifyReply> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (reply: VerifyReply): void => {
      cleanup();
      resolve(reply);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new Error(`the document check stopped: ${err.message}`, { cause: err }));
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`the document check stopped (worker exit ${code})`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(request);
  });
}

/** The document cut into smaller documents of whole resources, about `chars` of JSON each, with the schemas they use. */
function* slices(document: Record<string, unknown>, chars: number): Generator<Record<string, unknown>> {
  const paths = document.paths as Record<string, Record<string, unknown>>;
  const components = document.components as Record<string, unknown>;
  const schemas = components.schemas as Record<string, unknown>;
  const byResource = new Map<string, string[]>();
  for (const path of Object.keys(paths)) {
    const resource = path.split('/')[1]!;
    byResource.set(resource, [...(byResource.get(resource) ?? []), path]);
  }
  let slicePaths: Record<string, unknown> = {};
  let used = new Set<string>();
  let size = 0;
  const flush = (): Record<string, unknown> => {
    const sliceSchemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name) || name === PROBLEM_SCHEMA));
    const slice = { ...document, paths: slicePaths, components: { ...components, schemas: sliceSchemas } };
    slicePaths = {};
    used = new Set();
    size = 0;
    return slice;
  };
  for (const group of byResource.values()) {
    for (const path of group) {
      const text = JSON.stringify(paths[path]);
      for (const ref of text.match(/#\/components\/schemas\/[^"]+/g) ?? []) {
        const name = ref.slice('#/components/schemas/'.length);
        if (!used.has(name)) size += JSON.stringify(schemas[name] ?? null).length;
        used.add(name);
      }
      slicePaths[path] = paths[path];
      size += text.length;
    }
    if (size >= chars) yield flush();
  }
  if (Object.keys(slicePaths).length > 0) yield flush();
}
