// The Helm chart as a platform team meets it: it lints, renders valid Kubernetes objects for every example values
// file, fences the gateway with one allowlist, and writes a gatehouse.yaml the gateway itself accepts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import YAML from 'yaml';
import { loadConfig } from '../src/config/load.js';
import type { GatehouseConfig } from '../src/config/types.js';
import { chartDir, helmLint, helmOrSkip, helmTemplate, manifestOf, type Manifest } from './support/helm.js';
import { assertValidKubeManifest } from './support/kube-schema.js';
import { startGateway, testConfig } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const { helm, skip } = helmOrSkip();
const ciDir = path.join(chartDir, 'ci');
const ciFiles = readdirSync(ciDir).filter((f) => f.endsWith('-values.yaml')).sort();
const ci = (name: string): string => path.join(ciDir, name);
const scratch = mkdtempSync(path.join(tmpdir(), 'gatehouse-chart-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const render = (files: string[] = [], args: string[] = []): Manifest[] => helmTemplate(helm!, { files, args });
const podSpec = (m: Manifest): Obj => (m.kind === 'Pod' ? (m.spec as Obj) : (m.spec as Obj).template.spec);
const gateway = (ms: Manifest[]): Manifest => manifestOf(ms, 'StatefulSet');
const container = (ms: Manifest[]): Obj => podSpec(gateway(ms)).containers[0];
const hookOf = (m: Manifest): string | undefined => m.metadata.annotations?.['helm.sh/hook'];

/**
 * The gateway's own configuration check on the rendered gatehouse.yaml: secret files come from the rendered Secret
 * (or `existing` for a Secret made outside the chart), POD_NAME is what the downward API would give replica 0.
 */
function gatewayConfig(ms: Manifest[], existing: Record<string, string> = {}): GatehouseConfig {
  const dir = mkdtempSync(path.join(scratch, 'config-'));
  mkdirSync(path.join(dir, 'secrets'));
  const secret = ms.find((m) => m.kind === 'Secret' && !hookOf(m));
  const files: Record<string, string> = { ...existing };
  for (const [key, value] of Object.entries((secret?.data ?? {}) as Record<string, string>)) {
    files[key] = Buffer.from(value, 'base64').toString('utf8');
  }
  for (const [key, value] of Object.entries(files)) writeFileSync(path.join(dir, 'secrets', key), value);
  const configMap = manifestOf(ms, 'ConfigMap', 'gatehouse');
  const text = (configMap.data as Record<string, string>)['gatehouse.yaml']!.replaceAll('/etc/gatehouse/secrets/', `${dir}/secrets/`);
  return loadConfig({ raw: YAML.parse(text), env: { POD_NAME: 'gatehouse-0' }, baseDir: dir });
}

function runNode(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

function ingressCidrs(rule: Obj): string[] {
  return (rule.from as Obj[]).filter((peer) => peer.ipBlock).map((peer) => peer.ipBlock.cidr as string);
}

describe('helm chart', { skip }, () => {
  const cases = [
    { name: 'default values', files: [] as string[] },
    ...ciFiles.map((file) => ({ name: `ci/${file}`, files: [ci(file)] })),
  ];

  for (const { name, files } of cases) {
    describe(`with ${name}`, () => {
      it('then helm lint --strict passes', () => {
        const lint = helmLint(helm!, { files });
        assert.equal(lint.status, 0, lint.output);
      });

      it('then every rendered manifest matches the Kubernetes API schema', async () => {
        const ms = render(files);
        assert.ok(ms.length >= 6, `only ${ms.length} manifests rendered`);
        for (const m of ms) await assertValidKubeManifest(m);
      });

      it('then every pod runs non-root, read-only, without capabilities or privilege escalation, under RuntimeDefault seccomp', () => {
        const pods = render(files).filter((m) => ['StatefulSet', 'Job', 'Pod'].includes(m.kind));
        assert.deepEqual(pods.map((m) => m.kind).sort(), files.some((f) => f.includes('postgres-store')) ? ['Job', 'Pod', 'StatefulSet'] : ['Pod', 'StatefulSet']);
        for (const m of pods) {
          const spec = podSpec(m);
          assert.equal(spec.securityContext.runAsNonRoot, true, `${m.kind} runAsNonRoot`);
          assert.equal(spec.securityContext.runAsUser, 1000, `${m.kind} runs as the image's node user`);
          assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault');
          assert.equal(spec.automountServiceAccountToken, false, `${m.kind} mounts no API token`);
          assert.equal(spec.enableServiceLinks, false, `${m.kind} gets no service-link variables`);
          for (const c of spec.containers as Obj[]) {
            assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${m.kind}/${c.name} read-only root`);
            assert.equal(c.securityContext.allowPrivilegeEscalation, false);
            assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
          }
        }
      });

      // The demo (default values) makes its own configuration; every ci/ file serves one.
      if (files.length > 0) it('then the gateway accepts the gatehouse.yaml the chart writes', () => {
        const ms = render(files);
        const config = gatewayConfig(ms, { 'erp-database-url': 'postgres://u:p@db/erp' });
        assert.equal(config.server.port, 8080);
        assert.equal(config.server.shutdownDelayMs, 5000);
        assert.equal(config.server.shutdownGraceMs, 10000);
        assert.equal(config.server.watchConfigMs, 0, 'pods roll on a change: nothing to watch');
      });

      it('then the gateway is probed on /healthz (alive) and /readyz (ready), and may fail readiness and drain before it is killed', () => {
        const ms = render(files);
        const c = container(ms);
        assert.deepEqual([c.startupProbe.httpGet.path, c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path], ['/healthz', '/healthz', '/readyz']);
        // 5 s of failing readiness, a 10 s drain, 5 s for cut requests' audit events, 5 s to close.
        assert.equal(podSpec(gateway(ms)).terminationGracePeriodSeconds, 25);
        assert.equal(c.lifecycle, undefined, 'no preStop sleep: the gateway keeps serving while it fails readiness');
        const sa = manifestOf(ms, 'ServiceAccount');
        assert.equal(sa.automountServiceAccountToken, false);
      });
    });
  }

  it('when nothing is set, then the embedded demo runs as one replica and admits only the helm test pod', () => {
    const ms = render();
    assert.equal(container(ms).args[0], 'demo');
    assert.equal((gateway(ms).spec as Obj).replicas, 1);
    assert.equal(ms.some((m) => m.kind === 'ConfigMap'), false, 'the demo needs no configuration');
    const rules = (manifestOf(ms, 'NetworkPolicy').spec as Obj).ingress as Obj[];
    for (const rule of rules) assert.ok(Array.isArray(rule.from) && rule.from.length > 0, 'a rule without peers would admit everyone');
    assert.deepEqual(rules.flatMap((r) => r.from), [
      { podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'gatehouse', 'app.kubernetes.io/component': 'test' } } },
    ]);
  });

  describe('with a LoadBalancer and an allowlist of zones, addresses and ranges', () => {
    const file = ci('loadbalancer-allowlist-values.yaml');
    const allowCidrs = ['10.20.0.0/16', '10.21.0.0/16', '192.168.10.0/24', '172.16.5.9/32', '2001:db8:40::/48'];

    it('then the NetworkPolicy admits HTTP from exactly the allowlist and the trusted proxy', () => {
      const rules = (manifestOf(render([file]), 'NetworkPolicy').spec as Obj).ingress as Obj[];
      assert.equal(rules.length, 1);
      assert.deepEqual(rules[0]!.ports, [{ port: 'http', protocol: 'TCP' }]);
      assert.deepEqual(ingressCidrs(rules[0]!), [...allowCidrs, '10.0.0.10/32']);
    });

    it('then the LoadBalancer keeps client addresses and accepts only the allowlist', () => {
      const service = manifestOf(render([file]), 'Service', 'gatehouse');
      const spec = service.spec as Obj;
      assert.equal(spec.type, 'LoadBalancer');
      assert.equal(spec.externalTrafficPolicy, 'Local');
      assert.deepEqual(spec.loadBalancerSourceRanges, allowCidrs);
    });

    it('then the Service carries the ExternalDNS hostname and TTL', () => {
      const service = manifestOf(render([file]), 'Service', 'gatehouse');
      assert.deepEqual(service.metadata.annotations, {
        'external-dns.alpha.kubernetes.io/hostname': 'gatehouse.erp.example.internal',
        'external-dns.alpha.kubernetes.io/ttl': '60',
      });
    });

    it('then the gateway enforces the same list, reads the contract from the ConfigMap and its secrets from files', () => {
      const ms = render([file]);
      const config = gatewayConfig(ms);
      assert.deepEqual(config.network.allow, ['cloud-vpn', 'onprem', '172.16.5.9', '2001:db8:40::/48']);
      assert.deepEqual(config.network.zones['cloud-vpn'], ['10.20.0.0/16', '10.21.0.0/16']);
      assert.equal(config.server.host, '0.0.0.0');
      assert.equal(config.spec, '/etc/gatehouse/config/openapi.yaml');
      assert.match((manifestOf(ms, 'ConfigMap').data as Obj)['openapi.yaml'], /operationId: listCustomers/);
      assert.equal(config.sources.erp!.connection, 'postgres://gatehouse:secret@erp-db.example.internal:5432/erp');
    });
  });

  it('when an existing Secret is named, then it is mounted and the chart makes none', () => {
    const ms = render([ci('existing-secret-values.yaml')]);
    assert.equal(ms.some((m) => m.kind === 'Secret'), false);
    const volumes = podSpec(gateway(ms)).volumes as Obj[];
    assert.deepEqual(volumes.find((v) => v.name === 'secrets')?.secret, { secretName: 'gatehouse-credentials', defaultMode: 0o440 });
    const config = gatewayConfig(ms, { 'erp-database-url': 'postgres://u:p@db/erp' });
    assert.equal(config.sources.erp!.connection, 'postgres://u:p@db/erp');
  });

  describe('with a PostgreSQL store', () => {
    const file = ci('postgres-store-values.yaml');

    it('then gatehouse migrate runs as a pre-install / pre-upgrade hook and the gateway itself runs no DDL', () => {
      const ms = render([file]);
      const job = manifestOf(ms, 'Job');
      assert.equal(hookOf(job), 'pre-install,pre-upgrade');
      assert.deepEqual(podSpec(job).containers[0].args, ['migrate']);
      const hookConfig = manifestOf(ms, 'ConfigMap', 'gatehouse-migrate');
      assert.equal(hookOf(hookConfig), 'pre-install,pre-upgrade');
      assert.ok(Number(hookConfig.metadata.annotations!['helm.sh/hook-weight']) < Number(job.metadata.annotations!['helm.sh/hook-weight']));
      assert.equal((hookConfig.data as Obj)['gatehouse.yaml'], (manifestOf(ms, 'ConfigMap', 'gatehouse').data as Obj)['gatehouse.yaml']);
      assert.equal(gatewayConfig(ms).store!.migrate, false);
      // On install the release's own Secret does not exist yet: the Job mounts a hook copy made before it.
      const jobSecret = (podSpec(job).volumes as Obj[]).find((v) => v.name === 'secrets')!.secret.secretName;
      const hookSecret = manifestOf(ms, 'Secret', jobSecret);
      assert.equal(hookOf(hookSecret), 'pre-install,pre-upgrade');
      assert.deepEqual(hookSecret.data, manifestOf(ms, 'Secret', 'gatehouse').data);
    });

    it('then each replica writes the audit chain named after its own pod', () => {
      const ms = render([file]);
      assert.equal(gatewayConfig(ms).audit!.instanceId, 'gatehouse-0');
      const env = container(ms).env as Obj[];
      assert.deepEqual(env.find((e) => e.name === 'POD_NAME')?.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
      assert.equal((gateway(ms).spec as Obj).replicas, 3);
    });

    it('when the store is embedded, then no migrate hook is rendered (each pod migrates its own)', () => {
      const ms = render([file], ['--set', 'config.settings.store.client=pglite', '--set', 'config.settings.store.connection=/var/lib/gatehouse/store']);
      assert.equal(ms.some((m) => m.kind === 'Job'), false);
      assert.equal(gatewayConfig(ms).store!.migrate, true);
    });
  });

  it('when persistence is on, then each replica gets its own claim at /var/lib/gatehouse instead of an emptyDir', async () => {
    const ms = render([ci('postgres-store-values.yaml')], ['--set', 'persistence.enabled=true', '--set', 'persistence.size=5Gi']);
    const spec = gateway(ms).spec as Obj;
    assert.deepEqual(spec.volumeClaimTemplates.map((c: Obj) => [c.metadata.name, c.spec.resources.requests.storage]), [['data', '5Gi']]);
    assert.equal((spec.template.spec.volumes as Obj[]).some((v) => v.name === 'data'), false);
    assert.deepEqual(container(ms).volumeMounts.find((m: Obj) => m.name === 'data'), { name: 'data', mountPath: '/var/lib/gatehouse' });
    await assertValidKubeManifest(gateway(ms));
  });

  it('when autoscaling is on, then an HPA drives the StatefulSet and the StatefulSet leaves replicas to it', () => {
    const ms = render([ci('hpa-values.yaml')]);
    const hpa = manifestOf(ms, 'HorizontalPodAutoscaler').spec as Obj;
    assert.deepEqual(hpa.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'gatehouse' });
    assert.deepEqual([hpa.minReplicas, hpa.maxReplicas], [2, 8]);
    assert.equal('replicas' in (gateway(ms).spec as Obj), false);
  });

  it('when metrics and the ServiceMonitor are on, then metrics have their own port, scraped only from metrics.allowFrom', () => {
    const ms = render([ci('servicemonitor-values.yaml')]);
    const monitor = manifestOf(ms, 'ServiceMonitor').spec as Obj;
    assert.deepEqual(monitor.endpoints, [{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    const servicePorts = (manifestOf(ms, 'Service', 'gatehouse').spec as Obj).ports as Obj[];
    assert.deepEqual(servicePorts.map((p) => [p.name, p.port]), [['http', 80], ['metrics', 9464]]);
    assert.deepEqual((container(ms).ports as Obj[]).map((p) => [p.name, p.containerPort]), [['http', 8080], ['metrics', 9464]]);
    const rules = (manifestOf(ms, 'NetworkPolicy').spec as Obj).ingress as Obj[];
    const metricsRule = rules.find((r) => r.ports[0].port === 'metrics')!;
    assert.deepEqual(metricsRule.from, [
      { ipBlock: { cidr: '10.99.0.0/24' } },
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
      },
    ]);
    const httpRule = rules.find((r) => r.ports[0].port === 'http')!;
    assert.deepEqual(ingressCidrs(httpRule), ['10.20.0.0/16'], 'scrapers are not admitted to the data port');
    const config = gatewayConfig(ms);
    assert.deepEqual((config as unknown as Obj).metrics, { enabled: true, host: '0.0.0.0', port: 9464, path: '/metrics' });
  });

  it('when the configuration changes, then the pod template changes so the pods roll, unless rollOnChange is off', () => {
    const file = ci('hpa-values.yaml');
    const checksum = (args: string[]): string | undefined =>
      (gateway(render([file], args)).spec as Obj).template.metadata.annotations?.['checksum/config'];
    const before = checksum([]);
    assert.match(before ?? '', /^[0-9a-f]{64}$/);
    assert.notEqual(checksum(['--set', 'config.settings.limits.maxPageSize=200']), before);
    assert.equal(checksum(['--set', 'config.rollOnChange=false']), undefined);
  });

  it('when rollOnChange is off, then the gateway watches the mounted configuration and contract for changes', () => {
    const ms = render([ci('hpa-values.yaml')], ['--set', 'config.rollOnChange=false', '--set', 'config.watchIntervalMs=2000']);
    assert.equal(gatewayConfig(ms).server.watchConfigMs, 2000);
  });

  it('when the drain settings change, then the grace period Kubernetes allows grows with them', () => {
    const seconds = (args: string[]): number => podSpec(gateway(render([ci('hpa-values.yaml')], args))).terminationGracePeriodSeconds;
    assert.equal(seconds(['--set', 'server.shutdownDelayMs=12000', '--set', 'server.shutdownGraceMs=30500']), 43 + 10);
    assert.equal(seconds(['--set', 'lifecycle.preStopSleepSeconds=3']), 28);
  });

  it('when the demo runs with metrics on, then it gets the drain and metrics settings of the chart through its environment', () => {
    const ms = render([], ['--set', 'metrics.enabled=true']);
    const env = Object.fromEntries((container(ms).env as Obj[]).filter((e) => 'value' in e).map((e) => [e.name, e.value]));
    assert.equal(container(ms).args[0], 'demo');
    assert.deepEqual(
      [env.GATEHOUSE_SERVER__SHUTDOWN_DELAY_MS, env.GATEHOUSE_METRICS__ENABLED, env.GATEHOUSE_METRICS__HOST, env.GATEHOUSE_METRICS__PORT],
      ['5000', 'true', '0.0.0.0', '9464'],
    );
    // What the demo's configuration loader makes of them.
    const config = loadConfig({
      raw: { spec: 'x.yaml', sources: { erp: { client: 'pglite', connection: 'memory://' } } },
      env,
    });
    assert.deepEqual(config.metrics, { enabled: true, host: '0.0.0.0', port: 9464, path: '/metrics' });
    assert.equal(config.server.shutdownDelayMs, 5000);
  });

  it('when helm test runs, then its pod asks the Service for /readyz with the gateway image, and fails unless it is 200', async () => {
    const ms = render();
    const pod = ms.find((m) => m.kind === 'Pod')!;
    assert.equal(hookOf(pod), 'test');
    const c = podSpec(pod).containers[0];
    assert.equal(c.image, container(ms).image);
    assert.equal(c.command.at(-1), 'http://gatehouse:80/readyz');
    // The pod's own command, pointed at a real gateway instead of the Service.
    const probe = (url: string) => runNode([...c.command.slice(1, -1), url]);
    const gw = await startGateway({ config: testConfig({ source: { client: 'pglite' } }), seed: seedErp });
    const url = `${(gw.http as unknown as { app: string }).app}/readyz`;
    try {
      assert.deepEqual(await probe(url), { code: 0, output: `GET ${url}: 200\n` });
    } finally {
      await gw.close();
    }
    const down = await probe(url);
    assert.equal(down.code, 1);
    assert.match(down.output, /^GET http:\/\/127\.0\.0\.1:\d+\/readyz: connect ECONNREFUSED/);
  });
});
