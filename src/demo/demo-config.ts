// The embedded demo's configuration: one PGlite source seeded with the legacy ERP, the shipped ERP contract,
// authentication with a per-run HS256 secret, and access rules that show columns, rows and masking at work.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { demoAuth } from '../auth/demo-auth.js';
import { loadConfig, type Env } from '../config/load.js';
import type { GatehouseConfig } from '../config/types.js';
import { packageRoot } from '../util/package-root.js';
import { DEMO_DATABASES } from './demo-data-dir.js';
import { DEMO_ZONES } from './access-history.js';

export interface DemoOptions {
  readonly port?: number;
  readonly host?: string;
  /** Addresses allowed to call when listening beyond loopback (CIDRs). */
  readonly allow?: readonly string[];
  /** A PGlite data directory to keep the demo database between runs; in memory when undefined. */
  readonly dataDir?: string;
  /** The audit checkpoints' Ed25519 key (PKCS#8 PEM); without one, a key made for the process signs them. */
  readonly auditSigningKey?: string;
}

/** Every scope the ERP contract uses: the demo's token holds them all, the rules below narrow them. */
export const DEMO_SCOPES = [
  ...['customers', 'items', 'orders', 'order-lines', 'customer-notes', 'customer-balances'].flatMap((r) => [
    `${r}:read`,
    `${r}:write`,
  ]),
  'audit:read',
  'reports:read',
];

/** The claims the demo token carries; `region` drives the customers row rule. */
export const DEMO_CLAIMS = { region: 'EMEA' } as const;

const DEMO_POLICIES = {
  maskKey: randomBytes(24).toString('base64url'),
  rules: [
    {
      name: 'customers-by-region',
      description: 'Sales staff see and change the customers of their own region; credit limits are masked.',
      scopes: ['customers:read', 'customers:write'],
      resource: 'customers',
      operations: ['read', 'write'],
      rows: { region: { eq: '{claims.region}' } },
      mask: { creditLimit: 'partial' },
      maxAffected: 25,
    },
    {
      name: 'erp-read',
      scopes: ['items:read', 'orders:read', 'order-lines:read', 'customer-notes:read', 'customer-balances:read'],
      resource: '*',
      operations: ['read'],
    },
    {
      name: 'erp-write',
      scopes: ['items:write', 'orders:write', 'order-lines:write', 'customer-notes:write'],
      resource: '*',
      operations: ['write'],
    },
  ],
};

/** The shipped ERP contract the demo serves. */
export function demoSpecFile(): string {
  return path.join(packageRoot(), 'openapi', 'erp.yaml');
}

export function demoConfig(options: DemoOptions, env: Env): GatehouseConfig {
  const root = packageRoot();
  const host = options.host ?? '127.0.0.1';
  const server: Record<string, unknown> = { host };
  if (options.port !== undefined) server.port = options.port;
  const config = loadConfig({
    raw: {
      server,
      spec: demoSpecFile(),
      sources: {
        erp: { client: 'pglite', connection: options.dataDir ? path.resolve(options.dataDir, DEMO_DATABASES.erp) : 'memory://' },
      },
      // The audit log in its own embedded store; every request and statement is recorded before the answer.
      store: { client: 'pglite', connection: options.dataDir ? path.resolve(options.dataDir, DEMO_DATABASES.store) : 'memory://' },
      audit: { sink: { stdout: false }, ...(options.auditSigningKey ? { signingKey: options.auditSigningKey } : {}) },
      limits: { defaultPageSize: 50, maxPageSize: 500, maxAffected: 100 },
      auth: demoAuth(randomBytes(32).toString('base64url')),
      policies: DEMO_POLICIES,
      // The zones of the simulated access history (access-history.ts): cloud-vpn counts as cloud in the report.
      network: { allow: ['127.0.0.0/8', '::1/128', ...(options.allow ?? [])], zones: DEMO_ZONES },
    },
    env,
    baseDir: root,
  });
  if (options.port !== undefined) return { ...config, server: { ...config.server, port: options.port } };
  return config;
}
