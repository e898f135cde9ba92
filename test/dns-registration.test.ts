// A gateway publishes its name on a real BIND by RFC 2136: resolvable through a cloud resolver, withdrawn on SIGTERM,
// replicas keep each other's records, a wrong key or a DNS outage never stops it serving.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { after, before, describe, test } from 'node:test';
import {
  bindSkipReason,
  startAuthoritativeBind,
  startForwardingBind,
  type AuthoritativeBind,
  type BindServer,
} from './support/bind.js';
import { eventually, serveGateway, type ServedGateway } from './support/dns-gateway.js';
import type { RegistrationStatus } from '../src/discovery/registrar.js';

const skip = bindSkipReason();

function discovery(primary: AuthoritativeBind, name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    registrar: 'rfc2136',
    name,
    addresses: ['10.0.4.20', 'fd00:4::20'],
    ttl: 5,
    refreshSeconds: 30,
    rfc2136: {
      server: primary.address,
      zone: primary.zone,
      tsig: { name: primary.key.name, algorithm: primary.key.algorithm, secret: primary.key.secret },
      timeoutMs: 500,
      attempts: 2,
      backoffMs: 50,
    },
    ...overrides,
  };
}

function resolverFor(server: BindServer): Resolver {
  const resolver = new Resolver({ timeout: 1000, tries: 2 });
  resolver.setServers([server.address]);
  return resolver;
}

/** The answer, or the DNS error code (ENOTFOUND for NXDOMAIN, ENODATA for no records of the type). */
async function settle<T>(query: Promise<T>): Promise<T | string> {
  try {
    return await query;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

interface ReadyBody {
  readonly status: string;
  readonly details: { readonly dns: RegistrationStatus };
}

async function readyz(gw: ServedGateway): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(`${gw.url}/readyz`);
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

const sorted = <T>(values: T[]): T[] => [...values].sort();

describe('the gateway publishes its name on a real BIND (RFC 2136, TSIG)', { skip, timeout: 600_000 }, () => {
  let primary: AuthoritativeBind;
  let cloud: BindServer;
  let cloudDns: Resolver;
  const gateways: ServedGateway[] = [];
  const serve = async (d: Record<string, unknown>): Promise<ServedGateway> => {
    const gw = await serveGateway(d);
    gateways.push(gw);
    return gw;
  };

  before(async () => {
    primary = await startAuthoritativeBind();
    cloud = await startForwardingBind({ zone: primary.zone, forwarders: [primary.address] });
    cloudDns = resolverFor(cloud);
  });
  after(async () => {
    for (const gw of gateways) await gw.destroy();
    await cloud?.destroy();
    await primary?.destroy();
  });

  test('when a gateway is ready, then its name resolves through the cloud resolver to its A, AAAA, SRV and TXT records; on SIGTERM they go', async () => {
    const name = 'gatehouse.onprem.example.internal';
    const gw = await serve(discovery(primary, `${name}.`));
    await eventually(async () => (await settle(cloudDns.resolve4(name))).toString() === '10.0.4.20', 30_000, 'the A record resolving');
    assert.deepEqual(await cloudDns.resolve6(name), ['fd00:4::20']);
    assert.deepEqual(await cloudDns.resolveSrv(`_gatehouse._tcp.${name}`), [{ name, port: gw.port, priority: 0, weight: 0 }]);
    const [txt] = await cloudDns.resolveTxt(name);
    assert.equal(txt?.[0], `gatehouse-instance=${(await readyz(gw)).body.details.dns.instance}`);
    assert.ok(txt?.includes('addresses=10.0.4.20,fd00:4::20'), JSON.stringify(txt));
    assert.ok(txt?.includes(`port=${gw.port}`), JSON.stringify(txt));

    const ready = await readyz(gw);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.details.dns.state, 'registered');
    assert.equal(ready.body.details.dns.records.length, 4);
    assert.ok(ready.body.details.dns.lastSuccessAt);
    const registered = gw.logs().find((l) => l.event === 'dns_registered');
    assert.ok(registered, 'a dns_registered log event');
    assert.equal(registered.name, `${name}.`);

    assert.equal(await gw.kill('SIGTERM'), 0);
    assert.ok(gw.logs().some((l) => l.event === 'dns_deregistered'), 'a dns_deregistered log event');
    // Nothing is left at the name, so it no longer exists; the resolver caches a negative answer for 1 s at most.
    await eventually(async () => (await settle(cloudDns.resolve4(name))) === 'ENOTFOUND', 10_000, 'the name disappearing');
    assert.equal(await settle(cloudDns.resolveSrv(`_gatehouse._tcp.${name}`)), 'ENOTFOUND');
    assert.equal(await settle(cloudDns.resolveTxt(name)), 'ENOTFOUND');
  });

  test('when two replicas publish one name and one stops, then the survivor’s addresses and port stay, including an address both had', async () => {
    const name = 'shared.onprem.example.internal';
    // Started together: their first updates race, and each must keep the other's records.
    const [a, b] = await Promise.all([
      serve(discovery(primary, name, { addresses: ['10.0.4.21', '10.0.4.30'] })),
      serve(discovery(primary, name, { addresses: ['10.0.4.22', '10.0.4.30'] })),
    ]);
    await eventually(
      async () => sorted(await cloudDns.resolve4(name)).join() === '10.0.4.21,10.0.4.22,10.0.4.30',
      30_000,
      'both replicas’ addresses resolving',
    );
    assert.deepEqual(sorted((await cloudDns.resolveSrv(`_gatehouse._tcp.${name}`)).map((s) => s.port)), sorted([a.port, b.port]));

    assert.equal(await a.kill('SIGTERM'), 0);
    await eventually(
      async () => sorted(await cloudDns.resolve4(name)).join() === '10.0.4.22,10.0.4.30',
      10_000,
      'only the survivor’s addresses resolving',
    );
    assert.deepEqual((await cloudDns.resolveSrv(`_gatehouse._tcp.${name}`)).map((s) => s.port), [b.port]);
    const claims = (await cloudDns.resolveTxt(name)).map((t) => t[0]);
    assert.deepEqual(claims, [`gatehouse-instance=${(await readyz(b)).body.details.dns.instance}`]);
    assert.equal((await readyz(b)).body.details.dns.state, 'registered');
  });

  test('when a replica is killed without deregistering, then a live replica removes its records once its refresh is overdue', async () => {
    const name = 'crashy.onprem.example.internal';
    const [doomed, survivor] = await Promise.all([
      serve(discovery(primary, name, { addresses: ['10.0.4.41'], refreshSeconds: 1 })),
      serve(discovery(primary, name, { addresses: ['10.0.4.42'], refreshSeconds: 1 })),
    ]);
    await eventually(async () => sorted(await cloudDns.resolve4(name)).join() === '10.0.4.41,10.0.4.42', 30_000, 'both addresses');
    await doomed.kill('SIGKILL');
    // Overdue after three of its 1 s intervals; the survivor refreshes every second.
    await eventually(async () => (await cloudDns.resolve4(name)).join() === '10.0.4.42', 30_000, 'the killed replica’s address going');
    assert.deepEqual((await cloudDns.resolveSrv(`_gatehouse._tcp.${name}`)).map((s) => s.port), [survivor.port]);
    assert.ok(survivor.logs().some((l) => l.event === 'dns_claims_retired'), 'the survivor logs what it retired');
  });

  test('when the TSIG secret is wrong, then BIND refuses it, /readyz stays 200 and says BADSIG, the log says why, and data is served', async () => {
    const name = 'wrongkey.onprem.example.internal';
    const d = discovery(primary, name);
    const tsig = { ...(d.rfc2136 as { tsig: Record<string, unknown> }).tsig, secret: randomBytes(32).toString('base64') };
    const gw = await serve({ ...d, rfc2136: { ...(d.rfc2136 as object), tsig } });
    await eventually(async () => (await readyz(gw)).body.details?.dns?.state === 'failing', 30_000, 'the registration failing');
    const ready = await readyz(gw);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.equal(ready.body.details.dns.lastError?.rcode, 'NOTAUTH');
    assert.equal(ready.body.details.dns.lastError?.tsigError, 'BADSIG');
    assert.match(String(ready.body.details.dns.lastError?.message), /discovery\.rfc2136\.tsig\.secret/);
    const failed = gw.logs().find((l) => l.event === 'dns_registration_failed');
    assert.equal(failed?.tsigError, 'BADSIG');
    assert.equal(failed?.level, 'warn');
    assert.match(primary.output(), /tsig verify failure \(BADSIG\)/, 'BIND itself refused the signature');

    const data = await fetch(`${gw.url}/customers?limit=2`);
    assert.equal(data.status, 200);
    assert.equal(((await data.json()) as unknown[]).length, 2);
    assert.equal(await settle(cloudDns.resolve4(name)), 'ENOTFOUND');
  });

  test('when BIND is down at start, then the gateway serves, reports it, and registers once BIND is back', async () => {
    const onprem = await startAuthoritativeBind();
    try {
      await onprem.stop();
      const name = 'late.onprem.example.internal';
      const gw = await serve(discovery(onprem, name, { refreshSeconds: 2 }));
      await eventually(async () => (await readyz(gw)).body.details?.dns?.state === 'failing', 30_000, 'the registration failing');
      const down = await readyz(gw);
      assert.equal(down.status, 200);
      assert.match(String(down.body.details.dns.lastError?.message), new RegExp(`${onprem.port}`));
      assert.equal((await fetch(`${gw.url}/customers?limit=1`)).status, 200);

      await onprem.start();
      const direct = resolverFor(onprem);
      await eventually(async () => (await settle(direct.resolve4(name))).toString() === '10.0.4.20', 30_000, 'registration after BIND came back');
      await eventually(async () => (await readyz(gw)).body.details.dns.state === 'registered', 10_000, 'the state turning registered');
      assert.ok(gw.logs().some((l) => l.event === 'dns_registered' && l.previous === 'failing'));
    } finally {
      await onprem.destroy();
    }
  });
});
