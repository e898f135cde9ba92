// `gatehouse init` without the CLI: introspect a source, select relations, build the document, prove it loads and binds.
import type { DataSource, DataSources } from '../../db/sources.js';
import { SpecError } from '../../errors/app-error.js';
import { checkBindings } from '../check-bindings.js';
import { loadSpec } from '../load-spec.js';
import { buildDocument, type BuiltDocument } from './build-document.js';
import { defaultSchemaOf, introspectSource, requireSchemas } from './introspect-source.js';
import type { NamingStyle } from './naming.js';
import { selectRelations } from './select-relations.js';
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

/** The guarantee init makes: the document loads and its bindings match the database, so it serves unchanged. */
async function verify(document: Record<string, unknown>, source: DataSource): Promise<void> {
  try {
    const spec = await loadSpec(structuredClone(document));
    const single: DataSources = {
      get: (name) => (name === source.name ? source : undefined),
      all: () => [source],
      unreachable: async () => [],
      destroy: async () => undefined,
    };
    await checkBindings(spec.resources, spec.operations, single);
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
