// Proves the test harness itself: the shared server, fresh databases, fault injection, and the Chinook loader.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { Client } from 'pg';
import { chinookSkipReason, loadChinook } from './support/chinook.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startPostgres } from './support/postgres.js';

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const pg = testPostgres();

if ('skip' in pg) {
  test('PostgreSQL test harness', { skip: pg.skip }, () => {});
} else {
  const { adminUrl } = pg;

  test('the shared server lets us in as gatehouse', async () => {
    const rows = await withClient(adminUrl, async (c) => (await c.query('select current_user as u')).rows);
    assert.deepEqual(rows, [{ u: 'gatehouse' }]);
  });

  test('freshDatabase gives an empty database that accepts DDL', async () => {
    const url = await freshDatabase('Harness');
    assert.match(new URL(url).pathname, /^\/harness_[0-9a-f]{12}$/);
    await withClient(url, async (c) => {
      const tables = await c.query("select count(*)::int as n from information_schema.tables where table_schema = 'public'");
      assert.equal(tables.rows[0].n, 0);
      await c.query('create table widget (id int primary key, name text not null)');
      await c.query("insert into widget values (1, 'sprocket')");
      assert.equal((await c.query('select name from widget')).rows[0].name, 'sprocket');
    });
  });

  test('a private server survives kill -9 and restarts on the same port with its data', async () => {
    const server = await startPostgres();
    try {
      // synchronous_commit=off is the server default; without this the write could die with the server.
      await withClient(server.url(), (c) =>
        c.query('set synchronous_commit = on; create table t (v int); insert into t values (42)'),
      );

      const victim = new Client({ connectionString: server.url() });
      // The dying connection emits 'error'; unhandled, that would crash the test process.
      victim.on('error', () => {});
      await victim.connect();
      await server.kill9();
      await assert.rejects(victim.query('select 1'));
      await assert.rejects(withClient(server.url(), (c) => c.query('select 1')));

      const port = server.port;
      await server.start();
      assert.equal(server.port, port);
      const rows = await withClient(server.url(), async (c) => (await c.query('select v from t')).rows);
      assert.deepEqual(rows, [{ v: 42 }]);

      await server.stop();
      await server.start();
      await withClient(server.url(), (c) => c.query('select 1'));
    } finally {
      await server.destroy();
    }
    assert.equal(existsSync(server.dataDir), false);
  });

  test('a private server started with settings runs with them, over the disposable defaults', async () => {
    const server = await startPostgres({ settings: { fsync: 'on', synchronous_commit: 'on' } });
    try {
      const rows = await withClient(server.url(), async (c) =>
        (await c.query("select current_setting('fsync') as fsync, current_setting('synchronous_commit') as sync, current_setting('full_page_writes') as fpw")).rows,
      );
      assert.deepEqual(rows, [{ fsync: 'on', sync: 'on', fpw: 'off' }]);
    } finally {
      await server.destroy();
    }
  });

  test('a private server started durable commits with fsync, synchronous_commit and full_page_writes on; the default trades them away', async () => {
    const settingsOf = (url: string) =>
      withClient(url, async (c) =>
        (await c.query("select current_setting('fsync') as fsync, current_setting('synchronous_commit') as sync, current_setting('full_page_writes') as fpw")).rows,
      );
    const durable = await startPostgres({ durable: true });
    const disposable = await startPostgres();
    try {
      assert.deepEqual(await settingsOf(durable.url()), [{ fsync: 'on', sync: 'on', fpw: 'on' }]);
      assert.deepEqual(await settingsOf(disposable.url()), [{ fsync: 'off', sync: 'off', fpw: 'off' }]);
      // Still durable after a crash and a restart on the same data dir.
      await durable.kill9();
      await durable.start();
      assert.deepEqual(await settingsOf(durable.url()), [{ fsync: 'on', sync: 'on', fpw: 'on' }]);
    } finally {
      await durable.destroy();
      await disposable.destroy();
    }
  });

  test('loadChinook loads the sample database', { skip: chinookSkipReason() }, async () => {
    const url = await loadChinook(adminUrl, 'chinook_harness');
    const counts = await withClient(url, async (c) =>
      (await c.query('select (select count(*) from artist)::int as artists, (select count(*) from track)::int as tracks')).rows[0],
    );
    assert.deepEqual(counts, { artists: 275, tracks: 3503 });
  });
}
