// Reading the ERP demo through the gateway — filters, select, order, pages, cursors, keys, formats — on PGlite, PostgreSQL
// and SQL Server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedErp } from '../src/demo/erp-schema.js';
import { backends, count, qs, sql, startGateway, testConfig, type TestGateway, type TestSql, testSql } from './support/gateway.js';

type Row = Record<string, unknown>;

for (const backend of backends()) {
  describe(`reading the ERP demo on ${backend.name}`, { skip: backend.skip }, () => {
    let t: TestGateway;
    /** The check queries' dialect-specific pieces. */
    let q: TestSql;
    before(async () => {
      t = await startGateway({
        config: testConfig({
          source: await backend.source('crud_read'),
          limits: { defaultPageSize: 100, maxPageSize: 1000 },
        }),
        seed: (db) => seedErp(db),
      });
      q = testSql(t.db);
    });
    after(() => t?.close());

    /** Every row of a list (one big page), as JSON. */
    async function list(path: string): Promise<Row[]> {
      const res = await t.http.get(path);
      assert.equal(res.status, 200, res.text);
      return res.body as Row[];
    }

    async function ids(path: string, key = 'id'): Promise<unknown[]> {
      return (await list(path)).map((r) => r[key]);
    }

    async function sqlIds(query: string, bindings: unknown[] = []): Promise<unknown[]> {
      return (await sql<{ id: unknown }>(t.db, query, bindings as never)).map((r) => r.id);
    }

    describe('filters', () => {
      it('when filtering with eq, then exactly the rows with that value come back', async () => {
        const rows = await list(`/customers${qs({ region: 'eq.EMEA', limit: 1000 })}`);
        assert.ok(rows.length > 0);
        assert.ok(rows.every((r) => r.region === 'EMEA'));
        assert.equal(rows.length, await count(t.db, `"CUST_MSTR" where "REGION" = 'EMEA'`));
      });

      it('when filtering with neq, then every other row comes back', async () => {
        const rows = await list(`/customers${qs({ status: 'neq.A', limit: 1000 })}`);
        assert.ok(rows.length > 0 && rows.every((r) => r.status !== 'A'));
        assert.equal(rows.length, await count(t.db, `"CUST_MSTR" where "STATUS_CD" <> 'A'`));
      });

      for (const [op, sqlOp] of [['lt', '<'], ['lte', '<='], ['gt', '>'], ['gte', '>=']] as const) {
        it(`when filtering a decimal column with ${op}, then the rows match the database's own ${sqlOp}`, async () => {
          const got = await ids(`/customers${qs({ creditLimit: `${op}.10000.00`, order: 'id', limit: 1000 })}`);
          const want = await sqlIds(`select "CUST_ID" as id from "CUST_MSTR" where "Credit Limit" ${sqlOp} 10000 order by 1`);
          assert.ok(want.length > 0);
          assert.deepEqual(got, want);
        });
      }

      it('when filtering with in and a quoted value holding commas, then the commas stay part of the value', async () => {
        const picked = await sql<{ DESCR: string }>(
          t.db,
          `select distinct ${q.top(2)} "DESCR" from "ITEM_MSTR" where "DESCR" like '%,%' order by 1 ${q.first(2)}`,
        );
        assert.equal(picked.length, 2);
        const list_ = picked.map((p) => `"${p.DESCR.replace(/"/g, '\\"')}"`).join(',');
        const rows = await list(`/items${qs({ description: `in.(${list_})`, limit: 1000 })}`);
        const want = await count(t.db, `"ITEM_MSTR" where "DESCR" in (?, ?)`, [picked[0]!.DESCR, picked[1]!.DESCR]);
        assert.equal(rows.length, want);
        assert.deepEqual(new Set(rows.map((r) => r.description)), new Set(picked.map((p) => p.DESCR)));
      });

      it('when filtering with in on an integer key, then exactly the listed rows come back', async () => {
        assert.deepEqual(await ids(`/customers${qs({ id: 'in.(3,1,2,999999)', order: 'id' })}`), [1, 2, 3]);
      });

      it('when filtering with like and *, then * is the wildcard and case matters', async () => {
        const rows = await list(`/customers${qs({ name: 'like.Jo*', limit: 1000 })}`);
        assert.ok(rows.length > 0 && rows.every((r) => String(r.name).startsWith('Jo')));
        assert.equal(rows.length, await count(t.db, `"CUST_MSTR" where ${q.like('"CUST_NAME"', 'Jo%')}`));
        assert.deepEqual(await list(`/customers${qs({ name: 'like.jo*' })}`), []);
      });

      it('when filtering with ilike, then case is ignored, non-ASCII included', async () => {
        const rows = await list(`/customers${qs({ name: 'ilike.*MÜLLER*', limit: 1000 })}`);
        assert.ok(rows.length > 0 && rows.every((r) => /müller/i.test(String(r.name))));
        assert.equal(rows.length, await count(t.db, `"CUST_MSTR" where ${q.ilike('"CUST_NAME"', '%müller%')}`));
      });

      it('when filtering with is.null and is.not_null, then the two sets partition the table', async () => {
        const nulls = await list(`/customers${qs({ street: 'is.null', limit: 1000 })}`);
        const notNulls = await list(`/customers${qs({ street: 'is.not_null', limit: 1000 })}`);
        assert.ok(nulls.length > 0 && nulls.every((r) => r.street === null));
        assert.ok(notNulls.every((r) => typeof r.street === 'string'));
        assert.equal(nulls.length + notNulls.length, await count(t.db, '"CUST_MSTR"'));
        assert.equal(nulls.length, await count(t.db, `"CUST_MSTR" where "Straße" is null`));
      });

      it('when filtering a boolean with is.true and is.false, then each gives its rows', async () => {
        const yes = await list(`/items${qs({ discontinued: 'is.true', limit: 1000 })}`);
        const no = await list(`/items${qs({ discontinued: 'is.false', limit: 1000 })}`);
        assert.ok(yes.length > 0 && yes.every((r) => r.discontinued === true));
        assert.ok(no.every((r) => r.discontinued === false));
        assert.equal(yes.length + no.length, await count(t.db, '"ITEM_MSTR"'));
      });

      it('when a filter is negated with not., then its complement comes back', async () => {
        const notEmea = await list(`/customers${qs({ region: 'not.eq.EMEA', limit: 1000 })}`);
        assert.ok(notEmea.every((r) => r.region !== 'EMEA'));
        assert.equal(notEmea.length, await count(t.db, `"CUST_MSTR" where "REGION" <> 'EMEA'`));
        const notIn = await ids(`/customers${qs({ id: 'not.in.(1,2,3)', order: 'id', limit: 3 })}`);
        assert.deepEqual(notIn, [4, 5, 6]);
        const notNull = await list(`/customers${qs({ street: 'not.is.null', limit: 1000 })}`);
        assert.equal(notNull.length, await count(t.db, `"CUST_MSTR" where "Straße" is not null`));
        const notLike = await list(`/customers${qs({ name: 'not.like.J*', limit: 1000 })}`);
        assert.ok(notLike.every((r) => !String(r.name).startsWith('J')));
      });

      it('when several filters are given, then a row must match all of them', async () => {
        const rows = await list(`/customers${qs({ region: 'eq.APAC', status: 'eq.A', creditLimit: 'gte.50000', limit: 1000 })}`);
        const want = await count(
          t.db,
          `"CUST_MSTR" where "REGION" = 'APAC' and "STATUS_CD" = 'A' and "Credit Limit" >= 50000`,
        );
        assert.equal(rows.length, want);
        assert.ok(rows.every((r) => r.region === 'APAC' && r.status === 'A' && Number(r.creditLimit) >= 50000));
      });

      it('when filtering on a date column, then the date is compared as a date', async () => {
        const got = await ids(`/orders${qs({ orderDate: 'gte.2025-12-01', order: 'orderNo', limit: 1000 })}`, 'orderNo');
        const want = await sqlIds(`select "ORD_NO" as id from "ORD_HDR" where "ORD_DT" >= '2025-12-01' order by 1`);
        assert.ok(want.length > 0);
        assert.deepEqual(got, want);
      });
    });

    describe('select, order, limit and offset', () => {
      it('when select names properties, then each row has exactly those, legacy columns included', async () => {
        const rows = await list(`/customers${qs({ select: 'id,creditLimit,street', limit: 5 })}`);
        assert.equal(rows.length, 5);
        for (const row of rows) assert.deepEqual(Object.keys(row), ['id', 'creditLimit', 'street']);
      });

      it('when ordering asc and desc, then rows follow the database order and the key breaks ties', async () => {
        const got = await ids(`/customers${qs({ order: 'region.desc,name', select: 'id', limit: 1000 })}`);
        const want = await sqlIds(`select "CUST_ID" as id from "CUST_MSTR" order by "REGION" desc, "CUST_NAME", "CUST_ID"`);
        assert.deepEqual(got, want);
      });

      it('when ordering a nullable column with nullsfirst or nullslast, then the nulls go there', async () => {
        const last = await list(`/customers${qs({ order: 'creditLimit.desc.nullslast', select: 'id,creditLimit', limit: 1000 })}`);
        const firstNull = last.findIndex((r) => r.creditLimit === null);
        assert.ok(firstNull > 0 && last.slice(firstNull).every((r) => r.creditLimit === null));
        const want = await sqlIds(
          `select "CUST_ID" as id from "CUST_MSTR" order by ${q.order('"Credit Limit"', 'desc', 'last')}, "CUST_ID"`,
        );
        assert.deepEqual(last.map((r) => r.id), want);
        const first = await list(`/customers${qs({ order: 'creditLimit.asc.nullsfirst', select: 'id,creditLimit', limit: 1000 })}`);
        assert.equal(first[0]!.creditLimit, null);
        assert.notEqual(first.at(-1)!.creditLimit, null);
      });

      it('when ordering by a reserved-word column, then it sorts like any other', async () => {
        const got = await ids(`/items${qs({ order: 'displayOrder.desc', select: 'code', limit: 1000 })}`, 'code');
        const want = await sqlIds(`select "ITEM_CD" as id from "ITEM_MSTR" order by ${q.order('"ORDER"', 'desc', 'first')}, "ITEM_CD"`);
        assert.deepEqual(got, want);
      });

      it('when limit and offset are given, then that window comes back with a matching Content-Range', async () => {
        const res = await t.http.get(`/customers${qs({ order: 'id', limit: 10, offset: 20, select: 'id' })}`);
        assert.equal(res.status, 200);
        assert.deepEqual(
          (res.body as Row[]).map((r) => r.id),
          Array.from({ length: 10 }, (_, i) => 21 + i),
        );
        assert.equal(res.headers['content-range'], '20-29/*');
      });

      it('when no limit is given, then the configured default page size applies', async () => {
        assert.equal((await list('/customers')).length, 100);
      });

      it('when Prefer: count=exact is sent, then Content-Range carries the total and Preference-Applied says so', async () => {
        const res = await t.http.get(`/customers${qs({ region: 'eq.AMER', limit: 5 })}`).set('Prefer', 'count=exact');
        const total = await count(t.db, `"CUST_MSTR" where "REGION" = 'AMER'`);
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-range'], `0-4/${total}`);
        assert.equal(res.headers['preference-applied'], 'count=exact');
        const none = await t.http.get(`/customers${qs({ id: 'lt.0' })}`).set('Prefer', 'count=exact');
        assert.equal(none.headers['content-range'], '*/0');
      });
    });

    describe('keyset cursors', () => {
      /** Follows Link: rel="next" from `start` to the end; returns the rows in the order received. */
      async function walk(start: string, key: string | ((row: Row) => unknown)): Promise<{ rows: Row[]; pages: number }> {
        const rows: Row[] = [];
        let next: string | undefined = start;
        let pages = 0;
        while (next) {
          assert.ok(pages < 200, 'too many pages');
          const res = await t.http.get(next);
          assert.equal(res.status, 200, res.text);
          rows.push(...(res.body as Row[]));
          pages++;
          const link = res.headers.link as string | undefined;
          next = link ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined;
          if (link) assert.ok(next, `malformed Link: ${link}`);
        }
        const keys = rows.map((r) => (typeof key === 'function' ? key(r) : r[key]));
        assert.equal(new Set(keys).size, keys.length, 'a row came back twice');
        return { rows, pages };
      }

      it('when following Link: rel="next" through a whole table, then every row comes exactly once, in order', async () => {
        const { rows, pages } = await walk(`/customers${qs({ limit: 37, select: 'id' })}`, 'id');
        assert.equal(pages, Math.ceil((await count(t.db, '"CUST_MSTR"')) / 37));
        assert.deepEqual(rows.map((r) => r.id), await sqlIds(`select "CUST_ID" as id from "CUST_MSTR" order by 1`));
      });

      it('when paging desc on a nullable column, then nulls, ties and the key order give every row once', async () => {
        const { rows } = await walk(`/customers${qs({ order: 'creditLimit.desc', limit: 23, select: 'id,creditLimit' })}`, 'id');
        const want = await sqlIds(
          `select "CUST_ID" as id from "CUST_MSTR" order by ${q.order('"Credit Limit"', 'desc', 'first')}, "CUST_ID"`,
        );
        assert.deepEqual(rows.map((r) => r.id), want);
      });

      it('when paging with nullslast, a second order term and a filter, then the filter holds on every page', async () => {
        const start = `/items${qs({ order: 'displayOrder.asc.nullslast,unitCost.desc', discontinued: 'is.false', limit: 19, select: 'code' })}`;
        const { rows } = await walk(start, 'code');
        const want = await sqlIds(
          `select "ITEM_CD" as id from "ITEM_MSTR" where "DISCONTINUED" = ${q.false}
            order by ${q.order('"ORDER"', 'asc', 'last')}, "UNIT_COST" desc, "ITEM_CD"`,
        );
        assert.deepEqual(rows.map((r) => r.code), want);
      });

      it('when paging a composite-key table, then both key columns order the pages', async () => {
        const { rows } = await walk(`/order-lines${qs({ orderNo: 'lt.10200', limit: 101, select: 'orderNo,lineNo' })}`, (r) =>
          `${String(r.orderNo)}/${String(r.lineNo)}`,
        );
        const want = await sql<{ o: number; l: number }>(
          t.db,
          `select "ORD_NO" as o, "LINE_NO" as l from "ORD_LINE" where "ORD_NO" < 10200 order by 1, 2`,
        );
        assert.deepEqual(rows.map((r) => `${String(r.orderNo)}/${String(r.lineNo)}`), want.map((w) => `${w.o}/${w.l}`));
      });

      it('when paging a view on a text column, then every row of the view comes once', async () => {
        const { rows } = await walk(`/customer-balances${qs({ order: 'customerName.desc', limit: 64, select: 'customerId' })}`, 'customerId');
        assert.equal(rows.length, await count(t.db, '"V_CUST_BALANCE"'));
      });

      it('when the last page is reached, then there is no Link header', async () => {
        const res = await t.http.get(`/customers${qs({ id: 'lte.3', limit: 3 })}`);
        assert.equal(res.status, 200);
        assert.equal((res.body as Row[]).length, 3);
        assert.equal(res.headers.link, undefined);
      });
    });

    describe('get by key', () => {
      it('when getting a customer by id, then the row matches the database, legacy columns mapped', async () => {
        const res = await t.http.get('/customers/42');
        assert.equal(res.status, 200);
        const [row] = await sql<Row>(t.db, `select * from "CUST_MSTR" where "CUST_ID" = 42`);
        assert.deepEqual(res.body, {
          id: 42,
          name: row!.CUST_NAME,
          email: row!.EMAIL_ADDR,
          region: row!.REGION,
          creditLimit: row!['Credit Limit'],
          status: row!.STATUS_CD,
          createdAt: row!.CREATED_TS,
          street: row!['Straße'],
        });
      });

      it('when getting with select, then only those properties come back', async () => {
        const res = await t.http.get('/customers/42?select=name,street');
        assert.equal(res.status, 200);
        assert.deepEqual(Object.keys(res.body as Row), ['name', 'street']);
      });

      it('when getting an order line by its composite key, then that one line comes back', async () => {
        const [line] = await sql<Row>(t.db, `select * from "ORD_LINE" where "ORD_NO" = 10007 and "LINE_NO" = 2`);
        const res = await t.http.get('/order-lines/10007/2');
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, {
          orderNo: 10007,
          lineNo: 2,
          itemCode: line!.ITEM_CD,
          quantity: line!.QTY,
          unitPrice: line!.UNIT_PRICE,
        });
      });

      it('when getting a note from the table without a primary key, then the binding key finds it', async () => {
        const [note] = await sql<Row>(t.db, `select ${q.top(1)} * from "CUST_NOTE" order by "NOTE_ID" desc ${q.first(1)}`);
        const res = await t.http.get(`/customer-notes/${String(note!.NOTE_ID)}`);
        assert.equal(res.status, 200);
        assert.equal((res.body as Row).text, note!.NOTE_TXT);
        assert.equal((res.body as Row).enteredAt, String(note!.ENTERED_TS));
      });

      it('when getting a balance from the view, then the computed row comes back with exact numbers as text', async () => {
        const [balance] = await sql<Row>(t.db, `select * from "V_CUST_BALANCE" where "CUST_ID" = 1`);
        const res = await t.http.get('/customer-balances/1');
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, {
          customerId: 1,
          customerName: balance!.CUST_NAME,
          region: balance!.REGION,
          orderCount: String(balance!.ORDER_COUNT),
          openAmount: String(balance!.OPEN_AMT),
        });
      });

      it('when listing the view with a filter, then it filters like a table', async () => {
        const rows = await list(`/customer-balances${qs({ openAmount: 'gt.0', region: 'eq.EMEA', limit: 1000 })}`);
        assert.equal(rows.length, await count(t.db, `"V_CUST_BALANCE" where "OPEN_AMT" > 0 and "REGION" = 'EMEA'`));
      });
    });

    describe('legacy identifiers and formats', () => {
      it('when filtering on columns named with a space, a reserved word and a non-ASCII letter, then each works', async () => {
        assert.equal(
          (await list(`/customers${qs({ creditLimit: 'eq.25000.00', limit: 1000 })}`)).length,
          await count(t.db, `"CUST_MSTR" where "Credit Limit" = 25000`),
        );
        assert.equal(
          (await list(`/items${qs({ displayOrder: 'lte.100', limit: 1000 })}`)).length,
          await count(t.db, `"ITEM_MSTR" where "ORDER" <= 100`),
        );
        assert.equal(
          (await list(`/customers${qs({ street: 'like.*straße*', limit: 1000 })}`)).length,
          await count(t.db, `"CUST_MSTR" where ${q.like('"Straße"', '%straße%')}`),
        );
      });

      it('when Accept asks for CSV, then a header row and RFC 4180 quoting come back', async () => {
        const res = await t.http
          .get(`/items${qs({ description: 'like.*,*', order: 'code', limit: 3, select: 'code,description,displayOrder' })}`)
          .set('Accept', 'text/csv');
        assert.equal(res.status, 200);
        assert.match(String(res.headers['content-type']), /^text\/csv/);
        const lines = res.text.split('\r\n');
        assert.equal(lines[0], 'code,description,displayOrder');
        const json = await list(`/items${qs({ description: 'like.*,*', order: 'code', limit: 3, select: 'code,description,displayOrder' })}`);
        json.forEach((row, i) => {
          const order = row.displayOrder === null ? '' : String(row.displayOrder);
          assert.equal(lines[i + 1], `${String(row.code)},"${String(row.description).replace(/"/g, '""')}",${order}`);
        });
        assert.equal(lines.length, json.length + 2);
      });

      it('when Accept asks for NDJSON, then each line is one row, equal to the JSON answer', async () => {
        const path = `/customers${qs({ order: 'id', limit: 7 })}`;
        const res = await t.http.get(path).set('Accept', 'application/x-ndjson');
        assert.equal(res.status, 200);
        assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
        const rows = res.text.trimEnd().split('\n').map((line) => JSON.parse(line) as Row);
        assert.deepEqual(rows, await list(path));
      });

      it('when Accept names nothing the gateway speaks, then 406', async () => {
        const res = await t.http.get('/customers?limit=1').set('Accept', 'application/xml');
        assert.equal(res.status, 406);
        assert.equal(JSON.parse(res.text).code, 'not_acceptable');
      });
    });
  });
}
