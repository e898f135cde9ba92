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

/** The claims the demo token carries; `region` drives the row rules of every resource with customer data. */
export const DEMO_CLAIMS = { region: 'EMEA' } as const;

/** The demo user's own region: the rule every resource carrying customer data follows. */
const OWN_REGION = { region: { eq: '{claims.region}' } };
/** Customers of the caller's region, for tables that hold a customer key rather than a region. */
const OWN_CUSTOMERS = { resource: 'customers', property: 'id', rows: OWN_REGION };
/** Orders of those customers, for order lines (which hold only the order number). */
const OWN_ORDERS = { resource: 'orders', property: 'orderNo', rows: { customerId: { in: OWN_CUSTOMERS } } };

/**
 * Every resource with customer data is bound to the caller's region: directly (customers, balances) or through the
 * customer key (orders, notes) and the order key (order lines). The item catalogue holds none and is open.
 */
const DEMO_POLICIES = {
  maskKey: randomBytes(24).toString('base64url'),
  // Like the token secret, made per run: the demo's cursors live as long as its process.
  cursorKey: randomBytes(32).toString('base64url'),
  rules: [
    {
      name: 'customers-by-region',
      description: 'Sales staff see and change the customers of their own region; credit limits are masked.',
      scopes: ['customers:read', 'customers:write'],
      resource: 'customers',
      operations: ['read', 'write'],
      rows: OWN_REGION,
      mask: { creditLimit: 'partial' },
      maxAffected: 25,
    },
    {
      name: 'orders-by-region',
      description: 'Orders of the customers of the caller’s region.',
      scopes: ['orders:read', 'orders:write'],
      resource: 'orders',
      operations: ['read', 'write'],
      rows: { customerId: { in: OWN_CUSTOMERS } },
      maxAffected: 25,
    },
    {
      name: 'order-lines-by-region',
      description: 'Lines of those orders.',
      scopes: ['order-lines:read', 'order-lines:write'],
      resource: 'order-lines',
      operations: ['read', 'write'],
      rows: { orderNo: { in: OWN_ORDERS } },
      maxAffected: 25,
    },
    {
      name: 'customer-notes-by-region',
      description: 'Notes on the customers of the caller’s region.',
      scopes: ['customer-notes:read', 'customer-notes:write'],
      resource: 'customer-notes',
      operations: ['read', 'write'],
      rows: { customerId: { in: OWN_CUSTOMERS } },
      maxAffected: 25,
    },
    {
      name: 'customer-balances-by-region',
      scopes: ['customer-balances:read'],
      resource: 'customer-balances',
      operations: ['read'],
      rows: OWN_REGION,
    },
    {
      name: 'catalogue',
      description: 'The item catalogue carries no customer data.',
      scopes: ['items:read', 'items:write'],
      resource: 'items',
      operations: ['read', 'write'],
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
