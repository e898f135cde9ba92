// `gatehouse dns` as operators run it: register / status / deregister on a real BIND, and the cloud side's resolver
// config checked by loading it: the CoreDNS forward drives a real resolver; the Kubernetes objects parse and validate
// against the Kubernetes API schemas.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import type { PublishedView } from '../src/discovery/registrar.js';
import { bindSkipReason, startAuthoritativeBind, startForwardingBind, type AuthoritativeBind, type BindServer } from './support/bind.js';
import { eventually } from './support/dns-gateway.js';
import { gatehouse } from './support/gatehouse-cli.js';
import { assertValidKubeManifest, kubeSchemaErrors } from './support/kube-schema.js';
import { ERP_SPEC } from './support/project.js';

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  data?: Record<string, string>;
  spec?: { type: string; externalName: string; ports: Array<{ port: number }> };
}

describe('gatehouse dns, against a real BIND', { skip: bindSkipReason(), timeout: 600_000 }, () => {
  let primary: AuthoritativeBind;
  let cloud: BindServer | undefined;
  let dir: string;
  const name = 'cli.onprem.example.internal';

  async function configFile(file: string, discovery: Record<string, unknown>): Promise<string> {
    const at = path.join(dir, file);
    await writeFile(
      at,
      YAML.stringify({
        server: { port: 8443 },
        spec: ERP_SPEC,
        sources: { erp: { client: 'pglite', connection: 'memory://' } },
        discovery: {
          registrar: 'rfc2136',
          name,
          addresses: ['10.0.8.1', 'fd00:8::1'],
          instanceId: 'cli-replica',
          rfc2136: {
            server: primary.address,
            zone: primary.zone,
            tsig: { name: primary.key.name, algorithm: primary.key.algorithm, secret: primary.key.secret },
            timeoutMs: 500,
            attempts: 2,
          },
          ...discovery,
        },
      }),
    );
    return at;
  }

  before(async () => {
    primary = await startAuthoritativeBind();
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-dns-cli-'));
  });
  after(async () => {
    await cloud?.destroy();
    await primary?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  test('when an operator registers, then the CoreDNS block forwards the zone to that BIND, and a resolver set up from it resolves the name', async () => {
    const config = await configFile('coredns.yaml', {});
    const registered = await gatehouse(['dns', 'register', '--config', config]);
    assert.equal(registered.code, 0, registered.stderr);
    assert.match(registered.stdout, /^registered cli-replica at 127\.0\.0\.1:\d+:/);
    assert.match(registered.stdout, /_gatehouse\._tcp\.cli\.onprem\.example\.internal\. 60 IN SRV 0 0 8443 cli\.onprem\.example\.internal\./);

    const printed = await gatehouse(['dns', 'cloud-config', '--flavor', 'coredns', '--config', config]);
    assert.equal(printed.code, 0, printed.stderr);
    // Read the server block the way CoreDNS does: zone and port on the opening line, then the forward plugin's targets.
    const block = /^([a-z0-9.-]+):(\d+) \{\n([\s\S]*?)\n\}$/m.exec(printed.stdout);
    assert.ok(block, printed.stdout);
    const [, zone, port, body] = block;
    assert.equal(zone, 'onprem.example.internal');
    assert.equal(port, '53');
    const forward = /^\s*forward \. (.+)$/m.exec(body!)?.[1]?.split(/\s+/);
    assert.deepEqual(forward, [primary.address], 'the forward target is the BIND the test started');

    cloud = await startForwardingBind({ zone: `${zone}.`, forwarders: forward! });
    const resolver = new Resolver({ timeout: 1000, tries: 2 });
    resolver.setServers([cloud.address]);
    // A just-started forwarding resolver on a loaded machine may not take the first query: ask until it answers.
    let first: string[] | undefined;
    await eventually(
      async () => {
        first = await resolver.resolve4(name).catch(() => undefined);
        return first !== undefined;
      },
      10_000,
      'the cloud resolver answering',
    );
    assert.deepEqual(first, ['10.0.8.1']);
    assert.deepEqual(await resolver.resolve6(name), ['fd00:8::1']);
    assert.deepEqual(await resolver.resolveSrv(`_gatehouse._tcp.${name}`), [{ name, port: 8443, priority: 0, weight: 0 }]);

    const status = await gatehouse(['dns', 'status', '--config', config, '--format', 'json']);
    assert.equal(status.code, 0, status.stderr);
    const view = JSON.parse(status.stdout) as PublishedView;
    assert.deepEqual(
      view.instances.map((i) => [i.instance, i.addresses, i.port, i.stale]),
      [['cli-replica', ['10.0.8.1', 'fd00:8::1'], 8443, false]],
    );

    const withdrawn = await gatehouse(['dns', 'deregister', '--config', config]);
    assert.equal(withdrawn.code, 0, withdrawn.stderr);
    assert.equal(withdrawn.stdout, `deregistered cli-replica from ${primary.address}\n`);
    // The cloud resolver may hold the answer for its 1 s cache cap.
    await eventually(
      () => resolver.resolve4(name).then(() => false, (err: NodeJS.ErrnoException) => err.code === 'ENOTFOUND'),
      5_000,
      'the name disappearing',
    );
  });

  test('when the secret is wrong, then register exits 1 with one line naming BADSIG', async () => {
    const config = await configFile('wrong.yaml', {
      rfc2136: {
        server: primary.address,
        zone: primary.zone,
        tsig: { name: primary.key.name, secret: randomBytes(32).toString('base64') },
      },
    });
    const result = await gatehouse(['dns', 'register', '--config', config]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^gatehouse: 127\.0\.0\.1:\d+ rejected the signature of key gatehouse-key\. \(NOTAUTH\/BADSIG\)/);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  });

  test('when kube-dns is the cloud DNS, then the ConfigMap parses, validates against the Kubernetes schema, and its stubDomains send the zone to every resolver', async () => {
    const config = await configFile('kube-dns.yaml', { resolvers: ['10.0.0.53', '10.0.0.54:5353', '[fd00::53]:53'] });
    const printed = await gatehouse(['dns', 'cloud-config', '--flavor', 'kube-dns', '--config', config]);
    assert.equal(printed.code, 0, printed.stderr);
    const configMap = YAML.parse(printed.stdout) as KubeObject;
    await assertValidKubeManifest(configMap);
    assert.equal(configMap.apiVersion, 'v1');
    assert.equal(configMap.kind, 'ConfigMap');
    assert.deepEqual(configMap.metadata, { name: 'kube-dns', namespace: 'kube-system' });
    assert.deepEqual(JSON.parse(configMap.data!.stubDomains!), { 'onprem.example.internal': ['10.0.0.53', '10.0.0.54:5353', 'fd00::53'] });
    assert.deepEqual(Object.keys(configMap.data!), ['stubDomains']);
  });

  test('when an ExternalName Service is wanted, then it parses, validates against the Kubernetes schema, and points the in-cluster name at the on-prem one', async () => {
    const config = await configFile('externalname.yaml', {});
    const printed = await gatehouse(['dns', 'cloud-config', '--flavor', 'externalname', '--namespace', 'apps', '--config', config]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /http:\/\/gatehouse\.apps\.svc\.cluster\.local:8443\//);
    const service = YAML.parse(printed.stdout) as KubeObject;
    await assertValidKubeManifest(service);
    // The validation is strict: the same Service with a misspelt field would be refused.
    assert.notDeepEqual(await kubeSchemaErrors({ ...service, spec: { ...service.spec, externalNmae: name } }), []);
    assert.equal(service.kind, 'Service');
    assert.equal(service.metadata.name, 'gatehouse');
    assert.equal(service.metadata.namespace, 'apps');
    assert.equal(service.spec?.type, 'ExternalName');
    assert.equal(service.spec?.externalName, name);
    assert.deepEqual(service.spec?.ports.map((p) => p.port), [8443]);
  });

  test('when the configuration publishes nothing or the flavour is unknown, then the command exits 2 saying so', async () => {
    const none = await configFile('none.yaml', { registrar: 'none' });
    const register = await gatehouse(['dns', 'register', '--config', none]);
    assert.equal(register.code, 2);
    assert.match(register.stderr, /discovery\.registrar is none/);
    const flavour = await gatehouse(['dns', 'cloud-config', '--flavor', 'istio', '--config', none]);
    assert.equal(flavour.code, 2);
    assert.match(flavour.stderr, /Allowed choices are coredns, kube-dns, externalname/);
  });
});
