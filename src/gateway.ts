// Assembles a gateway from a configuration: sources, contract, binding check, validators, app. Does not listen.
import type { Express } from 'express';
import { buildApp } from './app.js';
import type { GatehouseConfig } from './config/types.js';
import { createDataSources, type DataSources } from './db/sources.js';
import { checkBindings } from './openapi/check-bindings.js';
import { loadSpecFile, type LoadedSpec } from './openapi/load-spec.js';
import { buildOperationIndex } from './openapi/operation-index.js';
import { createValidatorFactory } from './openapi/validators.js';
import type { Logger } from './observability/logger.js';

export interface Gateway {
  readonly app: Express;
  readonly sources: DataSources;
  readonly spec: LoadedSpec;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Already-open sources (the embedded demo seeds its in-memory database before the gateway starts). */
  readonly sources?: DataSources;
}

export async function createGateway(config: GatehouseConfig, logger: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  const sources = options.sources ?? createDataSources(config.sources);
  try {
    const spec = await loadSpecFile(config.spec);
    await checkBindings(spec.resources, spec.operations, sources);
    const validators = createValidatorFactory();
    // Compile every validator now, so a schema ajv cannot compile fails the start, not a request.
    for (const resource of spec.resources) validators.forResource(resource);
    const app = buildApp({
      config,
      logger,
      sources,
      document: spec.document,
      operations: buildOperationIndex(spec.operations),
      validators,
    });
    return { app, sources, spec, close: () => sources.destroy() };
  } catch (err) {
    await sources.destroy();
    throw err;
  }
}
