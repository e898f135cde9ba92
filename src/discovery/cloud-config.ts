// Pure: what a cloud cluster needs to resolve the on-prem name: a CoreDNS server block, kube-dns stubDomains, or an ExternalName Service.
import { isIPv6 } from 'node:net';
import YAML from 'yaml';
import type { DnsServerConfig } from '../config/types.js';

export const CLOUD_FLAVORS = ['coredns', 'kube-dns', 'externalname'] as const;
export type CloudFlavor = (typeof CLOUD_FLAVORS)[number];

export interface CloudConfigInput {
  /** The on-prem zone, fully qualified. */
  readonly zone: string;
  /** The gateway's name, fully qualified. */
  readonly name: string;
  /** The on-prem DNS servers that answer for the zone. */
  readonly resolvers: readonly DnsServerConfig[];
  /** The port the gateway serves on (the SRV record's). */
  readonly port: number;
  /** ExternalName: the Service's namespace and name in the cloud cluster. */
  readonly namespace: string;
  readonly serviceName: string;
}

const bare = (name: string): string => name.replace(/\.$/, '');

function hostPort(server: DnsServerConfig, keepDefaultPort: boolean): string {
  const host = isIPv6(server.host) ? `[${server.host}]` : server.host;
  return server.port === 53 && !keepDefaultPort ? (isIPv6(server.host) ? server.host : host) : `${host}:${server.port}`;
}

export function renderCloudConfig(flavor: CloudFlavor, input: CloudConfigInput): string {
  switch (flavor) {
    case 'coredns':
      return coreDns(input);
    case 'kube-dns':
      return kubeDns(input);
    case 'externalname':
      return externalName(input);
  }
}

function coreDns(input: CloudConfigInput): string {
  return [
    `# Gatehouse: resolve ${bare(input.zone)} through the on-prem DNS servers (over the VPN / interconnect).`,
    '# Add this server block to the Corefile (ConfigMap "coredns" in kube-system, key Corefile); the reload plugin picks it up.',
    `${bare(input.zone)}:53 {`,
    '    errors',
    '    cache 30',
    `    forward . ${input.resolvers.map((r) => hostPort(r, true)).join(' ')}`,
    '}',
    '',
  ].join('\n');
}

function kubeDns(input: CloudConfigInput): string {
  const stubDomains = { [bare(input.zone)]: input.resolvers.map((r) => hostPort(r, false)) };
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'kube-dns', namespace: 'kube-system' },
    // kube-dns reads both keys as JSON documents inside the ConfigMap's strings.
    data: { stubDomains: JSON.stringify(stubDomains) },
  };
  return [
    `# Gatehouse: kube-dns forwards ${bare(input.zone)} to the on-prem DNS servers. Merge into an existing kube-dns ConfigMap`,
    '# rather than replacing it if it already has stubDomains or upstreamNameservers.',
    YAML.stringify(configMap),
  ].join('\n');
}

function externalName(input: CloudConfigInput): string {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: input.serviceName,
      namespace: input.namespace,
      labels: { 'app.kubernetes.io/name': 'gatehouse', 'app.kubernetes.io/component': 'onprem-gateway' },
    },
    spec: {
      type: 'ExternalName',
      externalName: bare(input.name),
      // Informational only: an ExternalName Service maps no ports, callers use the gateway's own.
      ports: [{ name: 'http', port: input.port, protocol: 'TCP' }],
    },
  };
  return [
    `# Gatehouse: cloud pods call http://${input.serviceName}.${input.namespace}.svc.cluster.local:${input.port}/, a CNAME to ${bare(input.name)}.`,
    `# The cluster's DNS must resolve ${bare(input.zone)}: apply the coredns or kube-dns output as well.`,
    YAML.stringify(service),
  ].join('\n');
}
