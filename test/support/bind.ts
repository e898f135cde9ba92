// Throwaway BIND 9 servers for tests: an authoritative one with a dynamic zone and TSIG keys, and a forwarding resolver.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDebianPackage, type EnsureResult } from './debian.js';
import { freePort, waitForExit } from './processes.js';
import { refuseInUnitRun } from './unit-run.js';

export const NAMED = '/usr/sbin/named';
export const DIG = '/usr/bin/dig';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const OUTPUT_TAIL_CHARS = 16_000;

export interface TsigKey {
  /** Fully qualified, with the trailing dot. */
  readonly name: string;
  readonly algorithm: 'hmac-sha256' | 'hmac-sha512' | 'hmac-sha1';
  /** Base64. */
  readonly secret: string;
}

export interface BindServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `127.0.0.1:<port>`, as the gateway's configuration names a server. */
  readonly address: string;
  /** SIGTERM and wait until named has exited; the zone (and its journal) stays on disk for start(). */
  stop(): Promise<void>;
  /** (Re)start on the same port after stop(); resolves once named answers queries. */
  start(): Promise<void>;
  /** stop() and remove the working directory. */
  destroy(): Promise<void>;
  /** The last lines named logged (it runs with -g: everything goes to stderr). */
  output(): string;
}

export interface AuthoritativeBind extends BindServer {
  readonly zone: string;
  readonly key: TsigKey;
}

/** Installs Debian's bind9 (named) and bind9-dnsutils (dig, nsupdate) when missing and possible (root + apt-get). */
export function ensureBind(): EnsureResult {
  const named = ensureDebianPackage(() => existsSync(NAMED), 'bind9');
  if (!named.ok) return named;
  return ensureDebianPackage(() => existsSync(DIG), 'bind9-dnsutils');
}

/** Why BIND tests must skip, or undefined when they can run. scripts/test.ts decides once per run. */
export function bindSkipReason(): string | undefined {
  refuseInUnitRun('BIND');
  if (process.env.GATEHOUSE_TEST_BIND_SKIP) return process.env.GATEHOUSE_TEST_BIND_SKIP;
  if (existsSync(NAMED)) return undefined;
  return `${NAMED} not found (Debian package bind9 is not installed): run tests with \`npm test\`, which installs it`;
}

export function newTsigKey(name = 'gatehouse-key.', algorithm: TsigKey['algorithm'] = 'hmac-sha256'): TsigKey {
  return { name, algorithm, secret: randomBytes(32).toString('base64') };
}

/** named refuses nothing as root, but the suite must not run a network daemon as root: children run as nobody. */
function childIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'nobody');
  const uid = Number(entry?.[2]);
  const gid = Number(entry?.[3]);
  return { uid: Number.isInteger(uid) ? uid : 65534, gid: Number.isInteger(gid) ? gid : 65534 };
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

const live = new Set<LocalBind>();
let exitHookInstalled = false;

class LocalBind implements BindServer {
  readonly host = '127.0.0.1' as const;
  private child: ChildProcess | undefined;
  private tail = '';

  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  output(): string {
    return this.tail;
  }

  async start(): Promise<void> {
    if (this.child) return;
    this.tail = '';
    // -g: foreground, log to stderr; -n 1: one worker thread is plenty and the machine is shared; -4: no IPv6 sockets.
    const child = spawn(NAMED, ['-g', '-4', '-n', '1', '-c', join(this.dir, 'named.conf')], {
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...childIdentity(),
    });
    this.child = child;
    const collect = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    child.once('error', (err) => {
      this.tail += `\nspawn failed: ${err.message}`;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    // named logs "running" once every zone is loaded and its sockets are open.
    while (!/\brunning\b/.test(this.tail)) {
      if (exited(child)) throw new Error(`named exited during startup (code ${child.exitCode}):\n${this.tail}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
        throw new Error(`named was not running within ${READY_TIMEOUT_MS} ms:\n${this.tail}`);
      }
      await sleep(20);
    }
    child.unref();
    (child.stdout as { unref?: () => void } | null)?.unref?.();
    (child.stderr as { unref?: () => void } | null)?.unref?.();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_TIMEOUT_MS);
    }
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  abandon(): void {
    this.child?.kill('SIGKILL');
  }
}

/** Options every test server shares: its own directory, loopback only, no control channel, no stray files elsewhere. */
function commonOptions(dir: string, port: number): string {
  return `
  directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  pid-file none;
  session-keyfile none;
  dnssec-validation no;
  empty-zones-enable no;
  notify no;`;
}

async function launch(config: (dir: string, port: number) => Promise<string>): Promise<LocalBind> {
  if (!existsSync(NAMED)) throw new Error(bindSkipReason() ?? `${NAMED} not found`);
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bind-'));
  const identity = childIdentity();
  // named (as nobody) writes the zone's journal next to the zone file.
  if (identity) await chown(dir, identity.uid, identity.gid);
  const server = new LocalBind(await freePort(), dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const s of live) s.abandon();
    });
  }
  live.add(server);
  try {
    await writeFile(join(dir, 'named.conf'), await config(dir, server.port));
    await server.start();
    return server;
  } catch (err) {
    await server.destroy();
    throw err;
  }
}

/**
 * The on-prem DNS: authoritative for `zone`, which accepts RFC 2136 updates signed with `key` for any name in it
 * (more `keys` are known to the server but may update nothing). Negative answers are cached for 1 s at most.
 */
export async function startAuthoritativeBind(
  options: {
    zone?: string;
    key?: TsigKey;
    otherKeys?: readonly TsigKey[];
    /** update-policy rules for `key`; default: any name in the zone (`zonesub ANY`). */
    grants?: readonly string[];
  } = {},
): Promise<AuthoritativeBind> {
  const zone = options.zone ?? 'onprem.example.internal.';
  const key = options.key ?? newTsigKey();
  const keys = [key, ...(options.otherKeys ?? [])];
  const server = await launch(async (dir, port) => {
    await writeFile(
      join(dir, 'zone.db'),
      `$TTL 60
@   IN SOA ns1.${zone} hostmaster.${zone} 1 60 30 600 1
@   IN NS  ns1.${zone}
ns1 IN A   127.0.0.1
`,
    );
    const keyClauses = keys
      .map((k) => `key "${k.name}" {\n  algorithm ${k.algorithm};\n  secret "${k.secret}";\n};`)
      .join('\n');
    return `${keyClauses}
controls { };
options {${commonOptions(dir, port)}
  recursion no;
  allow-transfer { none; };
};
zone "${zone}" {
  type primary;
  file "zone.db";
  update-policy { ${(options.grants ?? ['zonesub ANY']).map((g) => `grant ${key.name} ${g};`).join(' ')} };
};
`;
  });
  return Object.assign(server, { zone, key });
}

/**
 * A cloud cluster's resolver: recursive for loopback clients, forwarding `zone` to `forwarders` (`host:port`) only,
 * caching nothing for longer than 1 s so a test sees removals promptly.
 */
export async function startForwardingBind(options: { zone: string; forwarders: readonly string[] }): Promise<BindServer> {
  const forwarders = options.forwarders
    .map((f) => {
      const [host, port] = f.split(':');
      return `${host} port ${port ?? '53'};`;
    })
    .join(' ');
  return launch(
    async (dir, port) => `controls { };
options {${commonOptions(dir, port)}
  recursion yes;
  allow-recursion { 127.0.0.0/8; };
  allow-query { 127.0.0.0/8; };
  max-cache-ttl 1;
  max-ncache-ttl 1;
};
zone "${options.zone}" {
  type forward;
  forward only;
  forwarders { ${forwarders} };
};
`,
  );
}
