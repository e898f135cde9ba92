// Environment overrides reach the key they name whatever its case and word breaks, whether or not the file sets it:
// the README's own `GATEHOUSE_LIMITS__MAXPAGESIZE=200` works.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors/app-error.js';
import { ERP_SPEC, projectRoot } from './support/project.js';

const base = {
  spec: ERP_SPEC,
  sources: { erp: { client: 'pglite', connection: 'memory://' } },
  store: { client: 'pglite', connection: 'memory://' },
  audit: {},
};

function load(env: Record<string, string>, raw: Record<string, unknown> = base): ReturnType<typeof loadConfig> {
  return loadConfig({ raw, env, baseDir: projectRoot });
}

describe('environment overrides', () => {
  it('when GATEHOUSE_LIMITS__MAXPAGESIZE=200 is set and the file has no limits, then limits.maxPageSize is 200', () => {
    assert.equal(load({ GATEHOUSE_LIMITS__MAXPAGESIZE: '200' }).limits.maxPageSize, 200);
  });

  it('when a name marks its word breaks with underscores, or the file already has the key, then it sets that key too', () => {
    assert.equal(load({ GATEHOUSE_LIMITS__MAX_PAGE_SIZE: '300' }).limits.maxPageSize, 300);
    assert.equal(load({ GATEHOUSE_LIMITS__MAXPAGESIZE: '400' }, { ...base, limits: { maxPageSize: 50 } }).limits.maxPageSize, 400);
    const config = load({
      GATEHOUSE_AUDIT__GROUPCOMMIT__MAXINFLIGHT: '3',
      GATEHOUSE_AUDIT__CHECKPOINT__EVERY_MS: '500',
      GATEHOUSE_SERVER__REQUESTTIMEOUTMS: '7000',
      GATEHOUSE_SOURCES__ERP__STATEMENTTIMEOUTMS: '2500',
    });
    assert.equal(config.audit?.groupCommit.maxInFlight, 3);
    assert.equal(config.audit?.checkpoint.everyMs, 500);
    assert.equal(config.server.requestTimeoutMs, 7000);
    assert.equal(config.sources.erp?.statementTimeoutMs, 2500);
  });

  it('when an override names no key the schema knows, then start-up still refuses it by name', () => {
    assert.throws(() => load({ GATEHOUSE_LIMITS__MAXPAGES: '5' }), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /limits\.maxpages: unknown key/);
      return true;
    });
  });
});
