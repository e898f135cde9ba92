// Bad requests to the ERP demo: each gets its problem+json code, and the database is left as it was.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { seedErp } from '../src/demo/erp-schema.js';
import { assertProblem, backends, count, isMssql, qs, sql, startGateway, testConfig, type TestGateway, testSql } from './support/gateway.js';

type Row = Record<string, unknown>;

for (const backend of backends()) {
  describe(`bad input to the ERP demo on ${backend.name}`, { skip: backend.skip }, () => {
    let t: TestGateway;
    /** A digest of every table, to prove a refused request changed nothing. */
    let pristine: string;

    async function digest(): Promise<string> {
      const parts: string[] = [];
      for (const table of ['CUST_MSTR', 'ITEM_MSTR', 'ORD_HDR', 'ORD_LINE', 'CUST_NOTE']) {
        if (isMssql(t.db)) {
          // T-SQL has no md5 over rows: hash every row's JSON here, in a fixed order.
          const lines = (await sql(t.db, `select * from "${table}"`)).map((r) => JSON.stringify(r)).sort();
          parts.push(`${table}:${lines.length}:${createHash('md5').update(lines.join('|')).digest('hex')}`);
          continue;
        }
        const [row] = await sql<{ md5: string | null; n: string | number }>(
          t.db,
          `select md5(string_agg(x::text, '|' order by x::text)) as md5, count(*) as n from "${table}" x`,
        );
        parts.push(`${table}:${String(row!.n)}:${String(row!.md5)}`);
      }
      return parts.join(' ');
    }

    async function assertUnchanged(): Promise<void> {
      assert.equal(await digest(), pristine, 'the database changed');
    }

    before(async () => {
      t = await startGateway({
        config: testConfig({
          source: await backend.source('crud_bad'),
          limits: { defaultPageSize: 50, maxPageSize: 200, maxAffected: 50 },
          server: { bodyLimit: '8kb' },
        }),
        seed: (db) => seedErp(db),
      });
      pristine = await digest();
    });
    after(() => t?.close());

    describe('request bodies', () => {
      it('when the body is malformed JSON, then 400 malformed_json and nothing is written', async () => {
        const res = await t.http.post('/customers').set('Content-Type', 'application/json').send('{"name": "x", "region": ');
        assertProblem(res, 400, 'malformed_json');
        await assertUnchanged();
      });

      it('when a property has the wrong type, then 400 invalid_body pointing at it', async () => {
        const res = await t.http.post('/customers').send({ name: 42, region: 'EMEA' });
        const problem = assertProblem(res, 400, 'invalid_body');
        assert.deepEqual(problem.errors, [{ pointer: '/name', detail: 'must be string' }]);
        const patch = await t.http.patch('/items/FAS-00001').send({ discontinued: 'yes' });
        assert.equal((assertProblem(patch, 400, 'invalid_body').errors as Row[])[0]!.pointer, '/discontinued');
        await assertUnchanged();
      });

      it('when a value breaks the documented enum or pattern, then 400 before any SQL runs', async () => {
        assertProblem(await t.http.post('/customers').send({ name: 'x', region: 'MARS' }), 400, 'invalid_body');
        assertProblem(await t.http.post('/items').send({ code: 'X', description: 'x', unitCost: '1e9' }), 400, 'invalid_body');
        await assertUnchanged();
      });

      it('when a required property is missing, then 400 names it', async () => {
        const res = await t.http.post('/customers').send({ region: 'EMEA' });
        assert.deepEqual(assertProblem(res, 400, 'invalid_body').errors, [{ pointer: '/name', detail: 'is required' }]);
        await assertUnchanged();
      });

      it('when the body names a property the resource lacks, then 400', async () => {
        const res = await t.http.post('/customers').send({ name: 'x', region: 'EMEA', nmae: 'y' });
        assertProblem(res, 400, 'invalid_body');
        await assertUnchanged();
      });

      it('when the body is larger than the limit, then 413 and nothing is written', async () => {
        const rows = Array.from({ length: 300 }, (_, i) => ({ name: `Oversized bulk customer ${i}`, region: 'EMEA' }));
        assert.ok(JSON.stringify(rows).length > 8 * 1024);
        const res = await t.http.post('/customers').send(rows);
        const problem = assertProblem(res, 413, 'payload_too_large');
        assert.match(String(problem.detail), /8KB/);
        await assertUnchanged();
      });

      it('when the body is not JSON at all, then 415', async () => {
        const res = await t.http.post('/customers').set('Content-Type', 'text/plain').send('name=x');
        assertProblem(res, 415, 'unsupported_media_type');
      });

      it('when a PATCH body is empty, then 400 and nothing changes', async () => {
        assertProblem(await t.http.patch('/customers/1').send({}), 400, 'invalid_body');
        await assertUnchanged();
      });

      it('when a write breaks a foreign key or a unique key, then 409 without the offending value', async () => {
        const fk = await t.http.post('/order-lines').send({ orderNo: 10001, lineNo: 90, itemCode: 'NOPE-1', quantity: 1, unitPrice: '1.00' });
        const problem = assertProblem(fk, 409, 'foreign_key_violation');
        assert.doesNotMatch(JSON.stringify(problem), /NOPE-1|ORD_LINE|ITEM_MSTR/);
        const [taken] = await sql<{ EMAIL_ADDR: string }>(t.db, `select ${testSql(t.db).top(1)} "EMAIL_ADDR" from "CUST_MSTR" where "EMAIL_ADDR" is not null ${testSql(t.db).first(1)}`);
        const dup = await t.http.patch('/customers/1').send({ email: taken!.EMAIL_ADDR });
        assert.doesNotMatch(JSON.stringify(assertProblem(dup, 409, 'unique_violation')), new RegExp(taken!.EMAIL_ADDR.replace(/\./g, '\\.')));
        await assertUnchanged();
      });
    });

    describe('query parameters', () => {
      for (const [usage, query] of [
        ['select', { select: 'id,nmae' }],
        ['filter', { nmae: 'eq.x' }],
        ['order', { order: 'nmae.desc' }],
      ] as const) {
        it(`when ${usage} names an unknown column, then 400 unknown_column with a hint naming the closest`, async () => {
          const problem = assertProblem(await t.http.get(`/customers${qs(query)}`), 400, 'unknown_column');
          assert.match(String(problem.detail), new RegExp(`"nmae" in ${usage}`));
          assert.equal(problem.hint, 'did you mean "name"?');
        });
      }

      it('when an unknown column is nothing like any known one, then the hint lists the known columns', async () => {
        const problem = assertProblem(await t.http.get('/customers?zzzzzzzz=eq.1'), 400, 'unknown_column');
        assert.match(String(problem.hint), /known columns: id, name, email, region, creditLimit, status, createdAt, street/);
      });

      it('when the database column name is used instead of the API name, then it is unknown', async () => {
        assertProblem(await t.http.get(`/customers${qs({ CUST_NAME: 'eq.x' })}`), 400, 'unknown_column');
        assertProblem(await t.http.get(`/customers${qs({ 'Credit Limit': 'eq.1' })}`), 400, 'unknown_column');
      });

      it('when the operator is unknown, then 400 unknown_operator listing the operators', async () => {
        const problem = assertProblem(await t.http.get('/customers?name=equals.x'), 400, 'unknown_operator');
        assert.match(String(problem.hint), /eq, neq, lt, lte, gt, gte, like, ilike, in, is/);
        assertProblem(await t.http.get('/customers?name=x'), 400, 'unknown_operator');
      });

      it('when a filter value does not fit the column type, then 400 invalid_filter_value', async () => {
        assertProblem(await t.http.get('/customers?id=eq.abc'), 400, 'invalid_filter_value');
        assertProblem(await t.http.get('/items?discontinued=eq.maybe'), 400, 'invalid_filter_value');
        assertProblem(await t.http.get('/orders?orderDate=gt.yesterday'), 400, 'invalid_filter_value');
      });

      it('when limit is above the maximum, then 400 limit_too_large with the maximum in the hint', async () => {
        const problem = assertProblem(await t.http.get('/customers?limit=201'), 400, 'limit_too_large');
        assert.match(String(problem.hint), /limit=200/);
        assertProblem(await t.http.get('/customers?limit=-1'), 400, 'invalid_parameter');
        assertProblem(await t.http.get('/customers?limit=1&limit=2'), 400, 'duplicate_parameter');
      });

      it('when an order modifier is unknown, then 400 invalid_order', async () => {
        assertProblem(await t.http.get('/customers?order=name.sideways'), 400, 'invalid_order');
      });

      it('when a cursor is tampered with or reused under another order, then 400 invalid_cursor', async () => {
        const first = await t.http.get('/customers?limit=2');
        const cursor = /cursor=([^&>]+)/.exec(String(first.headers.link))![1]!;
        assertProblem(await t.http.get(`/customers?limit=2&cursor=${cursor.slice(0, -4)}`), 400, 'invalid_cursor');
        assertProblem(await t.http.get('/customers?limit=2&cursor=not-a-cursor'), 400, 'invalid_cursor');
        assertProblem(await t.http.get(`/customers?limit=2&order=name&cursor=${cursor}`), 400, 'invalid_cursor');
        const forged = Buffer.from(JSON.stringify(['id.asc.', ["1; drop table x"]])).toString('base64url');
        // Cursors are sealed: one forged in the old readable form never reaches the database.
        assertProblem(await t.http.get(`/customers?limit=2&cursor=${forged}`), 400, 'invalid_cursor');
        await assertUnchanged();
      });

      it('when an item endpoint gets a filter, then 400 unexpected_parameter', async () => {
        assertProblem(await t.http.get('/customers/1?region=eq.EMEA'), 400, 'unexpected_parameter');
      });
    });

    describe('keys', () => {
      it('when the key does not exist, then GET, PATCH and DELETE answer 404 row_not_found', async () => {
        assertProblem(await t.http.get('/customers/999999'), 404, 'row_not_found');
        assertProblem(await t.http.patch('/customers/999999').send({ status: 'I' }), 404, 'row_not_found');
        assertProblem(await t.http.delete('/customers/999999'), 404, 'row_not_found');
        assertProblem(await t.http.get('/order-lines/10001/999'), 404, 'row_not_found');
        await assertUnchanged();
      });

      it('when the key is not of the key type, then 400 invalid_key', async () => {
        assertProblem(await t.http.get('/customers/abc'), 400, 'invalid_key');
        assertProblem(await t.http.get('/order-lines/10001/x'), 400, 'invalid_key');
      });

      it('when the path names no endpoint, then 404 not_found', async () => {
        assertProblem(await t.http.get('/CUST_MSTR'), 404, 'not_found');
      });
    });

    describe('values a naive gateway would splice into SQL', () => {
      const attacks: ReadonlyArray<readonly [string, string, 'empty' | 400]> = [
        ['name', `eq.x' OR '1'='1`, 'empty'],
        ['name', `eq.x'; drop table "CUST_MSTR"; --`, 'empty'],
        ['name', `in.(a');delete from "CUST_MSTR";--)`, 'empty'],
        ['name', `like.%' or 1=1 --`, 'empty'],
        ['name', `ilike.*'); drop table "CUST_MSTR"; --*`, 'empty'],
        ['id', 'in.(1);drop table "CUST_MSTR"', 400],
        ['id', 'in.(1,2);drop table "CUST_MSTR")', 400],
        ['id', 'eq.1 or 1=1', 400],
        ['id', 'eq.1; delete from "CUST_MSTR"', 400],
        ['region', `eq.EMEA' or 'a'='a`, 400],
        ['order', 'name;drop table "CUST_MSTR"', 400],
        ['order', 'id.desc nulls first, (select 1)', 400],
        ['select', 'id,(select "EMAIL_ADDR" from "CUST_MSTR" limit 1)', 400],
        ['select', '*,pg_sleep(5)', 400],
        ['"CUST_ID"', 'eq.1', 400],
        ['id);drop table "CUST_MSTR";--', 'eq.1', 400],
        ['limit', '1;drop table "CUST_MSTR"', 400],
      ];
      for (const [name, value, outcome] of attacks) {
        it(`when ${name}=${value} is sent, then it stays data (${outcome === 'empty' ? 'no rows' : '400'}) and the table is intact`, async () => {
          const res = await t.http.get(`/customers${qs([[name, value]])}`);
          if (outcome === 'empty') {
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(res.body, []);
          } else {
            assert.equal(res.status, 400, res.text);
            assertProblem(res, 400, String(JSON.parse(res.text).code), { quotesInput: true });
          }
          await assertUnchanged();
        });
      }

      it('when a value holding SQL is written, then it is stored verbatim', async () => {
        const evil = `Robert'); DROP TABLE "CUST_MSTR"; --`;
        const res = await t.http.post('/customers').set('Prefer', 'return=representation').send({ name: evil, region: 'EMEA' });
        assert.equal(res.status, 201, res.text);
        const id = (res.body as Row).id as number;
        assert.equal((await sql<Row>(t.db, `select "CUST_NAME" from "CUST_MSTR" where "CUST_ID" = ?`, [id]))[0]!.CUST_NAME, evil);
        const found = await t.http.get(`/customers${qs({ name: `eq.${evil}`, select: 'id' })}`);
        assert.deepEqual(found.body, [{ id }]);
        await t.http.delete(`/customers/${id}`).expect(204);
        await assertUnchanged();
      });
    });

    describe('database errors the gateway did not foresee', () => {
      it('when a column is renamed under the running gateway, then 500 internal_error says nothing of SQL', async () => {
        const rename = (from: string, to: string): string =>
          isMssql(t.db) ? `exec sp_rename 'dbo.ITEM_MSTR.${from}', '${to}', 'COLUMN'` : `alter table "ITEM_MSTR" rename column "${from}" to "${to}"`;
        await t.db.raw(rename('DESCR', 'DESCRIPTION_TXT'));
        try {
          const problem = assertProblem(await t.http.get('/items?limit=1'), 500, 'internal_error');
          assert.equal(problem.detail, 'internal server error');
          assert.equal(problem.hint, undefined);
          assert.doesNotMatch(JSON.stringify(problem), /DESCR|ITEM_MSTR|column/);
        } finally {
          await t.db.raw(rename('DESCRIPTION_TXT', 'DESCR'));
        }
        await t.http.get('/items?limit=1').expect(200);
      });
    });

    describe('collection writes', () => {
      it('when DELETE has no filter, then 400 unfiltered_write and nothing is deleted', async () => {
        assertProblem(await t.http.delete('/customer-notes'), 400, 'unfiltered_write');
        assertProblem(await t.http.delete('/customer-notes?select=noteId'), 400, 'unfiltered_write');
        await assertUnchanged();
      });

      it('when PATCH has no filter, then 400 unfiltered_write and nothing changes', async () => {
        assertProblem(await t.http.patch('/items').send({ discontinued: true }), 400, 'unfiltered_write');
        await assertUnchanged();
      });

      it('when a PATCH would touch more rows than the configured maximum, then it is rolled back', async () => {
        const matching = await count(t.db, `"CUST_MSTR" where "REGION" = 'EMEA'`);
        assert.ok(matching > 50);
        const problem = assertProblem(await t.http.patch('/customers?region=eq.EMEA').send({ status: 'I' }), 400, 'max_affected_exceeded');
        assert.match(String(problem.detail), new RegExp(`affect ${matching} rows, more than the limit of 50`));
        await assertUnchanged();
      });

      it('when a DELETE would remove more rows than the configured maximum, then nothing is deleted', async () => {
        assertProblem(await t.http.delete('/customer-notes?noteId=gt.0'), 400, 'max_affected_exceeded');
        await assertUnchanged();
      });

      it('when Prefer: max-affected is lower than the match, then the caller’s own cap also rolls back', async () => {
        const res = await t.http.delete('/customer-notes?noteId=lte.20').set('Prefer', 'max-affected=3');
        assertProblem(res, 400, 'max_affected_exceeded');
        assertProblem(await t.http.delete('/customer-notes?noteId=lte.5').set('Prefer', 'max-affected=lots'), 400, 'invalid_preference');
        await assertUnchanged();
      });
    });
  });
}
