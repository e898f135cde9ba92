// The chart's values as an operator writes them: misspelt or wrongly typed values are refused by helm lint with the
// schema's message, unsafe combinations are refused with what to change, and every value is documented.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { configJsonSchema } from '../src/config/schema.js';
import { chartDir, helmLint, helmOrSkip, runHelm } from './support/helm.js';

const { helm, skip } = helmOrSkip();

function lintFails(args: string[], message: string | RegExp): void {
  const lint = helmLint(helm!, { args });
  assert.notEqual(lint.status, 0, `helm lint ${args.join(' ')} passed:\n${lint.output}`);
  if (typeof message === 'string') assert.ok(lint.output.includes(message), `expected "${message}" in:\n${lint.output}`);
  else assert.match(lint.output, message);
}

/** Checks that need more than the schema stop `helm template` / `install` with the chart's message (lint only logs them). */
function renderFails(args: string[], message: string): void {
  const run = runHelm(helm!, ['template', 'gatehouse', chartDir, ...args]);
  assert.notEqual(run.status, 0, `helm template ${args.join(' ')} passed`);
  assert.ok(run.output.includes(message), `expected "${message}" in:\n${run.output}`);
}

describe('helm chart values', { skip }, () => {
  it('when a port is given as a string, then helm lint fails naming the value and the expected type', () => {
    lintFails(['--set-string', 'server.port=8080'], "at '/server/port': got string, want integer");
    lintFails(['--set-string', 'service.port=80'], "at '/service/port': got string, want integer");
  });

  it('when a key is misspelt, then helm lint fails naming it', () => {
    lintFails(['--set', 'servce.port=80'], "additional properties 'servce' not allowed");
    lintFails(['--set', 'network.alow[0]=10.0.0.0/8'], "at '/network': additional properties 'alow' not allowed");
    lintFails(['--set', 'config.settings.sorces.erp.client=pg'], "at '/config/settings': additional properties 'sorces' not allowed");
  });

  it('when a value is out of its set, then helm lint fails with the allowed ones', () => {
    lintFails(['--set', 'service.type=Ingress'], /at '\/service\/type': value must be one of 'ClusterIP', 'NodePort', 'LoadBalancer'/);
    lintFails(['--set', 'mode=production'], /at '\/mode': value must be one of 'demo', 'serve'/);
  });

  it('when a LoadBalancer has no allowlist, then the chart refuses it rather than open it to everyone', () => {
    renderFails(['--set', 'service.type=LoadBalancer'], 'service.type LoadBalancer needs network.allow');
  });

  it('when the configuration sets what the chart owns, then the chart says which value to use instead', () => {
    renderFails(['--set', 'config.settings.audit.instanceId=gw'], 'config.settings.audit.instanceId: set by the chart to the pod name');
    renderFails(['--set', 'mode=serve', '--set', 'openapi.path=/app/openapi/erp.yaml'], 'mode serve needs config.settings.sources');
  });

  it('when the grace period is shorter than the drain, then the chart refuses it', () => {
    // The default drain: a 5 s readiness delay and a 10 s grace.
    renderFails(
      ['--set', 'terminationGracePeriodSeconds=15'],
      'terminationGracePeriodSeconds (15) must exceed server.shutdownDelayMs plus server.shutdownGraceMs plus lifecycle.preStopSleepSeconds (15 s)',
    );
    const run = runHelm(helm!, ['template', 'gatehouse', chartDir, '--set', 'terminationGracePeriodSeconds=16']);
    assert.equal(run.status, 0, run.output);
  });
});

describe('helm chart documentation', () => {
  const valuesText = readFileSync(path.join(chartDir, 'values.yaml'), 'utf8');
  const readme = readFileSync(path.join(chartDir, 'README.md'), 'utf8');

  /**
   * Values as the README lists them: a key whose children carry no `# --` comment of their own (a scalar, a list, or
   * a free-form map such as `resources`) is one value; with whether a `# --` comment precedes it.
   */
  function leaves(): { key: string; documented: boolean }[] {
    const doc = YAML.parseDocument(valuesText);
    const out: { key: string; documented: boolean }[] = [];
    const isDoc = (comment: string | null | undefined): boolean => /(^|\n) ?-- /.test(comment ?? '');
    // The comment above a map's first key belongs to the map in the YAML model.
    const documented = (map: YAML.YAMLMap, index: number): boolean =>
      isDoc(((map.items[index] as YAML.Pair).key as YAML.Scalar).commentBefore) || (index === 0 && isDoc(map.commentBefore));
    const hasDocumentedChild = (node: unknown): boolean =>
      YAML.isMap(node) && node.items.some((p, i) => documented(node, i) || hasDocumentedChild((p as YAML.Pair).value));
    const walk = (node: YAML.YAMLMap, prefix: string): void => {
      node.items.forEach((item, index) => {
        const pair = item as YAML.Pair;
        const key = `${prefix}${String((pair.key as YAML.Scalar).value)}`;
        if (YAML.isMap(pair.value) && hasDocumentedChild(pair.value)) walk(pair.value, `${key}.`);
        else out.push({ key, documented: documented(node, index) });
      });
    };
    walk(doc.contents as YAML.YAMLMap, '');
    return out;
  }

  it('when a value exists, then values.yaml explains it and the chart README lists it', () => {
    const all = leaves();
    assert.ok(all.length > 80, `only ${all.length} values found`);
    assert.deepEqual(all.filter((l) => !l.documented).map((l) => l.key), [], 'values without a "# --" comment');
    const rows = new Set([...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));
    assert.deepEqual(all.filter((l) => !rows.has(l.key)).map((l) => l.key), [], 'values missing from the README table');
    const known = new Set(all.map((l) => l.key));
    assert.deepEqual([...rows].filter((r) => !known.has(r!)), [], 'README rows for values that do not exist');
  });

  it('when the gateway gains a configuration section, then config.settings accepts it (or the chart writes it)', () => {
    const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as {
      properties: { config: { properties: { settings: { properties: Record<string, unknown> } } } };
    };
    const settings = Object.keys(schema.properties.config.properties.settings.properties);
    const chartOwned = ['server', 'spec', 'network', 'metrics'];
    assert.deepEqual([...settings, ...chartOwned].sort(), Object.keys(configJsonSchema.properties).sort());
  });
});
