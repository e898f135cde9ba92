// The RFC 2136 registrar against a real BIND, in process: address changes, more replicas than a UDP answer holds,
// and the server's refusals (REFUSED, NOTAUTH) reported as such; the discovery: section's load-time checks.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import type { Rfc2136Config } from '../src/config/types.js';
import type { Registrar } from '../src/discovery/registrar.js';
import { createRfc2136Registrar } from '../src/discovery/rfc2136/rfc2136-registrar.js';
import { ConfigError } from '../src/errors/app-error.js';
import { createLogger } from '../src/observability/logger.js';
import { bindSkipReason, newTsigKey, startAuthoritativeBind, type AuthoritativeBind, type TsigKey } from './support/bind.js';
import { eventually } from './support/dns-gateway.js';
import { ERP_SPEC } from './support/project.js';

const logger = createLogger({ level: 'error', silent: true });
const sorted = (values: string[]): string[] => [...values].sort();

function rfc2136(primary: AuthoritativeBind, overrides: Partial<Rfc2136Config> = {}, key: TsigKey = primary.key): Rfc2136Config {
  return {
    server: { host: primary.host, port: primary.port },
    zone: primary.zone,
    tsig: { name: key.name, algorithm: key.algorithm, secret: key.secret },
    timeoutMs: 1000,
    attempts: 2,
    backoffMs: 50,
    ...overrides,
  };
}

describe('the RFC 2136 registrar on a real BIND', { skip: bindSkipReason(), timeout: 120_000 }, () => {
  let primary: AuthoritativeBind;
  let direct: Resolver;
  const readOnlyKey = newTsigKey('reader-key.');
  const registrars: Registrar[] = [];
  const registrar = (options: Partial<Parameters<typeof createRfc2136Registrar>[0]> & { name: string; instanceId: string }): Registrar => {
    const r = createRfc2136Registrar({
      rfc2136: rfc2136(primary),
      ttl: 5,
      refreshSeconds: 30,
      addresses: () => ['10.0.6.1'],
      logger,
      ...options,
    });
    registrars.push(r);
    return r;
  };

  before(async () => {
    primary = await startAuthoritativeBind({ otherKeys: [readOnlyKey] });
    direct = new Resolver({ timeout: 1000, tries: 2 });
    direct.setServers([primary.address]);
  });
  after(async () => {
    await Promise.all(registrars.map((r) => r.stop()));
    await primary?.destroy();
  });

  test('when the host’s addresses change, then the records follow and the old address goes', async () => {
    let current = ['10.0.6.10', 'fd00:6::10'];
    const name = 'moving.onprem.example.internal.';
    const r = registrar({ name, instanceId: 'moving-1', addresses: () => current, addressCheckMs: 100 });
    r.start(8080);
    await eventually(async () => r.status().state === 'registered', 10_000, 'registration');
    assert.deepEqual(await direct.resolve4(name), ['10.0.6.10']);
    current = ['10.0.6.11'];
    await eventually(async () => (await direct.resolve4(name)).join() === '10.0.6.11', 10_000, 'the new address replacing the old');
    await assert.rejects(direct.resolve6(name), { code: 'ENODATA' });
    assert.ok(r.status().records.some((line) => line.endsWith(' IN A 10.0.6.11')), r.status().records.join('\n'));
    assert.equal(r.status().state, 'registered');
    await r.stop();
    await assert.rejects(direct.resolve4(name), { code: 'ENOTFOUND' });
  });

  test('when more replicas publish one name than a UDP answer holds, then each reads the whole set over TCP and only the stopped ones go', async () => {
    const name = 'many.onprem.example.internal.';
    const fleet = Array.from({ length: 24 }, (_, i) =>
      registrar({ name, instanceId: `replica-${String(i).padStart(2, '0')}-of-the-fleet`, addresses: () => [`10.0.7.${i + 1}`] }),
    );
    for (const r of fleet) await r.register(8080);
    const view = await fleet[0]!.lookup();
    assert.equal(view.instances.length, 24, 'every claim read back, though the TXT RRset is far over 512 bytes');
    assert.equal((await direct.resolve4(name)).length, 24);
    // Six withdraw at once: their updates conflict, and each reads again until its own goes through.
    await Promise.all(fleet.slice(0, 6).map((r) => r.deregister()));
    const left = sorted(await direct.resolve4(name));
    assert.deepEqual(left, sorted(Array.from({ length: 18 }, (_, i) => `10.0.7.${i + 7}`)));
    assert.equal((await fleet[23]!.lookup()).instances.length, 18);
  });

  test('when a replica has more addresses than one TXT string holds, then its claim keeps them all and withdrawing removes them all', async () => {
    const name = 'wide.onprem.example.internal.';
    const addresses = Array.from({ length: 12 }, (_, i) => `fd00:1234:5678:9abc:def0:1234:5678:${(i + 1).toString(16)}`);
    const r = registrar({ name, instanceId: 'wide-1', addresses: () => addresses });
    await r.register(8080);
    const [claim] = (await r.lookup()).instances;
    assert.deepEqual(claim?.addresses, addresses);
    assert.equal((await direct.resolve6(name)).length, 12);
    await r.deregister();
    await assert.rejects(direct.resolve6(name), { code: 'ENOTFOUND' });
  });

  test('when the key is one BIND knows but its policy does not grant, then registration fails with REFUSED naming the key', async () => {
    const r = registrar({ name: 'refused.onprem.example.internal.', instanceId: 'refused-1', rfc2136: rfc2136(primary, {}, readOnlyKey) });
    await assert.rejects(r.register(8080), /REFUSED.*reader-key\./);
    const status = r.status();
    assert.equal(status.state, 'failing');
    assert.equal(status.lastError?.rcode, 'REFUSED');
    assert.equal(status.consecutiveFailures, 1);
  });

  test('when the zone grants the key only the published names (the README’s update-policy), then replicas register and withdraw, and another name is REFUSED', async () => {
    const name = 'gatehouse.onprem.example.internal.';
    const narrow = await startAuthoritativeBind({ grants: [`name ${name} A AAAA TXT`, `name _gatehouse._tcp.${name} SRV`] });
    try {
      const server = rfc2136(narrow);
      const one = registrar({ name, instanceId: 'narrow-1', rfc2136: server });
      const two = registrar({ name, instanceId: 'narrow-2', rfc2136: server, addresses: () => ['10.0.6.2'] });
      await one.register(8080);
      await two.register(8081);
      await one.deregister();
      const view = await two.lookup();
      assert.deepEqual(view.instances.map((i) => i.instance), ['narrow-2']);
      assert.equal(view.records.length, 3, view.records.join('\n'));
      const other = registrar({ name: 'other.onprem.example.internal.', instanceId: 'narrow-3', rfc2136: server });
      await assert.rejects(other.register(8080), /REFUSED\): its allow-update \/ update-policy .* does not let key gatehouse-key\. change other\.onprem/);
    } finally {
      await narrow.destroy();
    }
  });

  test('when the zone is not one the server holds, then registration fails with REFUSED saying it does not serve the zone', async () => {
    const r = registrar({
      name: 'gw.elsewhere.example.',
      instanceId: 'notauth-1',
      rfc2136: rfc2136(primary, { zone: 'elsewhere.example.' }),
    });
    await assert.rejects(r.register(8080), /REFUSED\): it does not serve zone elsewhere\.example\./);
    assert.equal(r.status().lastError?.rcode, 'REFUSED');
  });

  test('when the server takes requests but never answers, then registration fails after its tries, each bounded by the timeout', async () => {
    // A hung server: the port is open, requests arrive, nothing comes back.
    const silent = createSocket('udp4');
    let received = 0;
    silent.on('message', () => received++);
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const r = registrar({
        name: 'hung.onprem.example.internal.',
        instanceId: 'timeout-1',
        rfc2136: rfc2136(primary, { server: { host: '127.0.0.1', port: silent.address().port }, timeoutMs: 200, attempts: 3, backoffMs: 20 }),
      });
      const started = Date.now();
      await assert.rejects(r.register(8080), /no answer from 127\.0\.0\.1:\d+ over UDP within 200 ms/);
      const elapsed = Date.now() - started;
      assert.equal(received, 3, 'three tries');
      assert.ok(elapsed >= 600 && elapsed < 5_000, `three 200 ms timeouts plus back-off, took ${elapsed} ms`);
      assert.equal(r.status().state, 'failing');
    } finally {
      silent.close();
    }
  });

  test('when nothing listens at the server’s address, then registration fails at once naming it', async () => {
    const r = registrar({
      name: 'nobody.onprem.example.internal.',
      instanceId: 'refused-port-1',
      rfc2136: rfc2136(primary, { server: { host: '127.0.0.1', port: 9 }, timeoutMs: 2000, attempts: 2, backoffMs: 20 }),
    });
    await assert.rejects(r.register(8080), /127\.0\.0\.1:9 over UDP: ECONNREFUSED/);
  });
});

describe('the discovery: section', () => {
  const load = (discovery: Record<string, unknown>): unknown =>
    loadConfig({ raw: { spec: ERP_SPEC, sources: { erp: { client: 'pglite', connection: 'memory://' } }, discovery }, env: {} });
  const rfc = { server: '10.0.0.53:53', zone: 'onprem.example.internal.', tsig: { name: 'gatehouse-key.', secret: 'c2VjcmV0' } };

  test('when it is absent, then nothing is published', () => {
    assert.equal((load({}) as { discovery: { registrar: string } }).discovery.registrar, 'none');
  });

  test('when the name is outside the zone, an address or server is malformed, then loading names each key', () => {
    assert.throws(
      () => load({ registrar: 'rfc2136', name: 'gatehouse.example.com', addresses: ['10.0.4.256'], rfc2136: { ...rfc, server: '10.0.0.53:99999' } }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /discovery\.name: gatehouse\.example\.com\. is not inside discovery\.rfc2136\.zone onprem\.example\.internal\./);
        assert.match(err.message, /discovery\.addresses\[0\]: "10\.0\.4\.256" is not an IPv4 or IPv6 address/);
        assert.match(err.message, /discovery\.rfc2136\.server: "10\.0\.0\.53:99999" is not host:port/);
        return true;
      },
    );
  });

  test('when rfc2136 is chosen without its settings, then loading says which are missing', () => {
    assert.throws(() => load({ registrar: 'rfc2136' }), /discovery\.name: is required with registrar rfc2136[\s\S]*discovery\.rfc2136: is required/);
  });

  test('when names lack the trailing dot and servers the port, then they are completed', () => {
    const config = load({ registrar: 'rfc2136', name: 'GateHouse.onprem.example.internal', rfc2136: { ...rfc, server: '[fd00::53]:5353', zone: 'onprem.example.internal' }, resolvers: ['10.0.0.53', 'fd00::54'] }) as {
      discovery: { name: string; resolvers: unknown; rfc2136: { server: unknown; zone: string; tsig: { algorithm: string } } };
    };
    assert.equal(config.discovery.name, 'gatehouse.onprem.example.internal.');
    assert.equal(config.discovery.rfc2136.zone, 'onprem.example.internal.');
    assert.deepEqual(config.discovery.rfc2136.server, { host: 'fd00::53', port: 5353 });
    assert.deepEqual(config.discovery.resolvers, [{ host: '10.0.0.53', port: 53 }, { host: 'fd00::54', port: 53 }]);
    assert.equal(config.discovery.rfc2136.tsig.algorithm, 'hmac-sha256');
  });
});
