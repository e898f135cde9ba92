// The offline Kubernetes schema check that the chart's rendered manifests go through.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubeSchemaErrors } from './support/kube-schema.js';

function deployment(containerOverrides: Record<string, unknown> = {}, specOverrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web', anything: 'goes' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' }, annotations: { 'checksum/config': 'abc' } },
        spec: {
          containers: [
            { name: 'web', image: 'web:1', ports: [{ name: 'http', containerPort: 8080 }], ...containerOverrides },
          ],
        },
      },
      ...specOverrides,
    },
  };
}

describe('Kubernetes schema check', () => {
  it('when a manifest matches its schema, then no problem is reported', async () => {
    assert.deepEqual(await kubeSchemaErrors(deployment()), []);
  });

  it('when a port is a string, then the path of the port and the expected type are reported', async () => {
    const errors = await kubeSchemaErrors(deployment({ ports: [{ name: 'http', containerPort: '8080' }] }));
    assert.deepEqual(errors, ['/spec/template/spec/containers/0/ports/0/containerPort: must be integer']);
  });

  it('when a field is misspelt, then it is reported as unknown where the API server would refuse it', async () => {
    const errors = await kubeSchemaErrors(deployment({ securityContxt: { runAsNonRoot: true } }, { replicaz: 3 }));
    assert.deepEqual(errors.sort(), [
      '/spec/replicaz: unknown field "replicaz"',
      '/spec/template/spec/containers/0/securityContxt: unknown field "securityContxt"',
    ]);
  });

  it('when a required field is missing, then it is reported', async () => {
    const manifest = deployment();
    delete (manifest.spec as Record<string, unknown>).selector;
    assert.deepEqual(await kubeSchemaErrors(manifest), ['/spec: must have required property selector']);
  });

  it('when a ConfigMap carries arbitrary file names, then they are accepted as map keys', async () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'gatehouse.yaml': 'a: 1', 'erp.yaml': '{}' } };
    assert.deepEqual(await kubeSchemaErrors(configMap), []);
  });

  it('when a ServiceMonitor is rendered, then it is checked against the Prometheus Operator schema', async () => {
    const monitor = (endpoint: Record<string, unknown>) => ({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'm' },
      spec: { selector: { matchLabels: { app: 'web' } }, endpoints: [endpoint] },
    });
    assert.deepEqual(await kubeSchemaErrors(monitor({ port: 'metrics', path: '/metrics', interval: '30s' })), []);
    assert.deepEqual(await kubeSchemaErrors(monitor({ port: 'metrics', intervall: '30s' })), [
      '/spec/endpoints/0/intervall: unknown field "intervall"',
    ]);
  });

  it('when the kind has no known schema, then that is a problem rather than a silent pass', async () => {
    assert.deepEqual(await kubeSchemaErrors({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }), [
      ': no Kubernetes schema known for apiVersion example.com/v1, kind Widget',
    ]);
    assert.deepEqual(await kubeSchemaErrors({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'w' } }), [
      ': no Kubernetes schema known for apiVersion apps/v1, kind Deploymnet',
    ]);
  });
});
