// The embedded demo's configuration: one PGlite source seeded with the legacy ERP, the shipped ERP contract.
import path from 'node:path';
import { loadConfig, type Env } from '../config/load.js';
import type { GatehouseConfig } from '../config/types.js';
import { packageRoot } from '../util/package-root.js';

export interface DemoOptions {
  readonly port?: number;
  readonly host?: string;
  /** A PGlite data directory to keep the demo database between runs; in memory when undefined. */
  readonly dataDir?: string;
}

export function demoConfig(options: DemoOptions, env: Env): GatehouseConfig {
  const root = packageRoot();
  const server: Record<string, unknown> = {};
  if (options.port !== undefined) server.port = options.port;
  // Until authentication lands, the demo only ever listens on loopback.
  server.host = '127.0.0.1';
  const config = loadConfig({
    raw: {
      server,
      spec: path.join(root, 'openapi', 'erp.yaml'),
      sources: {
        erp: { client: 'pglite', connection: options.dataDir ? path.resolve(options.dataDir) : 'memory://' },
      },
      limits: { defaultPageSize: 50, maxPageSize: 500, maxAffected: 100 },
    },
    env,
    baseDir: root,
  });
  if (options.port !== undefined) return { ...config, server: { ...config.server, port: options.port } };
  return config;
}
