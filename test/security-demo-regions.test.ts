// The embedded demo's own policy, attacked by its own demo user (region EMEA, every ERP scope): on every path, no
// resource that carries customer data lets it see, change, create or probe rows of another region's customers.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import supertest from 'supertest';
import { mintToken } from '../src/auth/mint-token.js';
import { createDataSources } from '../src/db/sources.js';
import { DEMO_CLAIMS, DEMO_SCOPES, demoConfig } from '../src/demo/demo-config.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { createLogger } from '../src/observability/logger.js';
import { count, sql } from './support/gateway.js';

let gateway: Gateway;
let server: Server;
let http: supertest.Agent;
let db: Knex;
let auth: string;

/** Facts of the seeded database, looked up behind the API's back. */
let emeaCustomer: number;
let amerCustomer: number;
let emeaOrder: number;
let amerOrder: number;
let amerLine: [number, number];
let emeaNote: number;
let amerNote: number;
let itemCode: string;

/** Where a resource's rows sit: SQL giving each row's region and its path key(s). */
interface Case {
  readonly resource: string;
  /** `select region, k1[, k2] from …`: the region of every row of the resource, and its key in path order. */
  readonly regions: string;
  /** The item path of an AMER row. */
  amerPath(): string;
  /** Filters that name AMER rows (and no row of the caller's own region). */
  amerFilters(): string[];
  /** Writes (when the resource takes them): a body placing a row under an AMER customer, and one for EMEA. */
  readonly writes?: {
    amerBody(): Record<string, unknown>;
    emeaBody(): Record<string, unknown>;
    /** An upsert body naming the AMER row's key (with values the caller's own region would accept). */
    upsertAmer(): Record<string, unknown>;
    /** A PUT body for the AMER row's path. */
    putAmer(): Record<string, unknown>;
    /** A PATCH body for an EMEA row that would move it under an AMER customer, and that row's path. */
    move(): { path: string; body: Record<string, unknown> };
    /** Columns that change nothing of interest when patched. */
    readonly harmless: Record<string, unknown>;
  };
}

const note = (noteId: number, customerId: number) => ({ noteId, customerId, text: 'probe', enteredBy: 'demo', enteredAt: '2025-01-01T00:00:00' });
const line = (orderNo: number, lineNo: number) => ({ orderNo, lineNo, itemCode, quantity: 1, unitPrice: '1.00' });
const order = (customerId: number) => ({ customerId, orderDate: '2025-01-01', status: 'OPEN' });

const CASES: Case[] = [
  {
    resource: 'customers',
    regions: `select "REGION" as region, "CUST_ID" as k1 from "CUST_MSTR"`,
    amerPath: () => `/customers/${amerCustomer}`,
    amerFilters: () => [`id=eq.${amerCustomer}`, 'region=eq.AMER', `id=in.(${amerCustomer},-1)`, 'region=not.eq.EMEA'],
    writes: {
      amerBody: () => ({ name: 'Probe', region: 'AMER' }),
      emeaBody: () => ({ name: 'Probe', region: 'EMEA' }),
      upsertAmer: () => ({ id: amerCustomer, name: 'Hijack', region: 'EMEA' }),
      putAmer: () => ({ name: 'Hijack', region: 'EMEA' }),
      move: () => ({ path: `/customers/${emeaCustomer}`, body: { region: 'AMER' } }),
      harmless: { status: 'H' },
    },
  },
  {
    resource: 'orders',
    regions: `select c."REGION" as region, o."ORD_NO" as k1 from "ORD_HDR" o join "CUST_MSTR" c using ("CUST_ID")`,
    amerPath: () => `/orders/${amerOrder}`,
    amerFilters: () => [`orderNo=eq.${amerOrder}`, `customerId=eq.${amerCustomer}`, `customerId=not.eq.${emeaCustomer}&orderNo=eq.${amerOrder}`],
    writes: {
      amerBody: () => order(amerCustomer),
      emeaBody: () => order(emeaCustomer),
      upsertAmer: () => ({ orderNo: amerOrder, ...order(emeaCustomer) }),
      putAmer: () => order(emeaCustomer),
      move: () => ({ path: `/orders/${emeaOrder}`, body: { customerId: amerCustomer } }),
      harmless: { status: 'PROBED' },
    },
  },
  {
    resource: 'order-lines',
    regions: `select c."REGION" as region, l."ORD_NO" as k1, l."LINE_NO" as k2 from "ORD_LINE" l join "ORD_HDR" o using ("ORD_NO") join "CUST_MSTR" c using ("CUST_ID")`,
    amerPath: () => `/order-lines/${amerLine[0]}/${amerLine[1]}`,
    amerFilters: () => [`orderNo=eq.${amerLine[0]}`, `orderNo=in.(${amerOrder},-1)&lineNo=eq.1`],
    writes: {
      amerBody: () => line(amerOrder, 99),
      emeaBody: () => line(emeaOrder, 99),
      upsertAmer: () => line(amerLine[0], amerLine[1]),
      putAmer: () => ({ itemCode, quantity: 5, unitPrice: '9.99' }),
      move: () => ({ path: `/order-lines/${emeaOrder}/1`, body: { orderNo: amerOrder } }),
      harmless: { quantity: 42 },
    },
  },
  {
    resource: 'customer-notes',
    regions: `select c."REGION" as region, n."NOTE_ID" as k1 from "CUST_NOTE" n join "CUST_MSTR" c using ("CUST_ID")`,
    amerPath: () => `/customer-notes/${amerNote}`,
    amerFilters: () => [`noteId=eq.${amerNote}`, `customerId=eq.${amerCustomer}`, `customerId=in.(${amerCustomer})&text=like.*`],
    writes: {
      amerBody: () => note(990001, amerCustomer),
      emeaBody: () => note(990002, emeaCustomer),
      upsertAmer: () => note(amerNote, emeaCustomer),
      putAmer: () => ({ customerId: emeaCustomer, text: 'Hijack', enteredBy: 'demo', enteredAt: '2025-01-01T00:00:00' }),
      move: () => ({ path: `/customer-notes/${emeaNote}`, body: { customerId: amerCustomer } }),
      harmless: { enteredBy: 'probe' },
    },
  },
  {
    resource: 'customer-balances',
    regions: `select "REGION" as region, "CUST_ID" as k1 from "V_CUST_BALANCE"`,
    amerPath: () => `/customer-balances/${amerCustomer}`,
    amerFilters: () => ['region=eq.AMER', `customerId=eq.${amerCustomer}`, `openAmount=gte.0&region=neq.EMEA`],
  },
];

/** Every row of the table, for "nothing changed" checks. */
async function snapshot(resource: string): Promise<string> {
  const table = { customers: 'CUST_MSTR', orders: 'ORD_HDR', 'order-lines': 'ORD_LINE', 'customer-notes': 'CUST_NOTE', 'customer-balances': 'V_CUST_BALANCE' }[resource]!;
  const [row] = await sql<{ digest: string }>(db, `select md5(coalesce(string_agg(t::text, ',' order by t::text), '')) as digest from "${table}" t`);
  return row!.digest;
}

/** The region of each API row of a resource, by its key. */
async function regionsOf(c: Case, rows: Array<Record<string, unknown>>): Promise<string[]> {
  const all = await sql<{ region: string; k1: unknown; k2?: unknown }>(db, c.regions);
  const byKey = new Map(all.map((r) => [`${String(r.k1)}/${r.k2 === undefined ? '' : String(r.k2)}`, r.region.trim()]));
  const keyNames = { customers: ['id'], orders: ['orderNo'], 'order-lines': ['orderNo', 'lineNo'], 'customer-notes': ['noteId'], 'customer-balances': ['customerId'] }[c.resource]!;
  return rows.map((r) => byKey.get(`${String(r[keyNames[0]!])}/${keyNames[1] ? String(r[keyNames[1]]) : ''}`) ?? 'missing');
}

before(async () => {
  const config = demoConfig({ port: 0 }, {});
  const logger = createLogger({ level: 'error', silent: true });
  const sources = createDataSources(config.sources, logger);
  db = sources.get('erp')!.db;
  await seedErp(db, { scale: 0.2 });
  gateway = await createGateway(config, logger, { sources });
  server = gateway.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  http = supertest.agent(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  auth = `Bearer ${await mintToken(config.auth, { subject: 'demo-user', clientId: 'demo-cli', scopes: DEMO_SCOPES, claims: DEMO_CLAIMS })}`;

  const first = async (text: string): Promise<Record<string, unknown>> => (await sql(db, text))[0]!;
  const customerWithNotesAndLines = (region: string) =>
    `select c."CUST_ID" as id, min(o."ORD_NO") as ord, min(n."NOTE_ID") as note from "CUST_MSTR" c
       join "ORD_HDR" o using ("CUST_ID") join "ORD_LINE" l using ("ORD_NO") join "CUST_NOTE" n using ("CUST_ID")
      where c."REGION" = '${region}' and l."LINE_NO" = 1 group by c."CUST_ID" order by c."CUST_ID" limit 1`;
  const emea = await first(customerWithNotesAndLines('EMEA'));
  const amer = await first(customerWithNotesAndLines('AMER'));
  [emeaCustomer, emeaOrder, emeaNote] = [Number(emea.id), Number(emea.ord), Number(emea.note)];
  [amerCustomer, amerOrder, amerNote] = [Number(amer.id), Number(amer.ord), Number(amer.note)];
  amerLine = [amerOrder, 1];
  itemCode = String((await first(`select "ITEM_CD" as code from "ITEM_MSTR" order by 1 limit 1`)).code);
});

after(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await gateway?.close();
});

for (const c of CASES) {
  describe(`the demo user against ${c.resource} of another region`, () => {
    test(`when it lists ${c.resource}, following every cursor, then exactly the rows of its own region come back`, async () => {
      const rows: Array<Record<string, unknown>> = [];
      let url: string | undefined = `/${c.resource}?limit=200`;
      while (url) {
        const res: supertest.Response = await http.get(url).set('Authorization', auth);
        assert.equal(res.status, 200, res.text);
        rows.push(...(res.body as Array<Record<string, unknown>>));
        const next = /<([^>]+)>; rel="next"/.exec(String(res.headers.link ?? ''));
        url = next?.[1];
      }
      const regions = await regionsOf(c, rows);
      assert.ok(regions.length > 0);
      assert.deepEqual([...new Set(regions)], ['EMEA']);
      const expected = (await sql<{ region: string }>(db, c.regions)).filter((r) => r.region.trim() === 'EMEA').length;
      assert.equal(rows.length, expected);
      const counted = await http.get(`/${c.resource}?limit=1`).set('Authorization', auth).set('Prefer', 'count=exact');
      assert.match(String(counted.headers['content-range']), new RegExp(`/${expected}$`));
    });

    test(`when it reads an AMER row of ${c.resource} by key, then 404 row_not_found, as for a key that does not exist`, async () => {
      const res = await http.get(c.amerPath()).set('Authorization', auth);
      assert.equal(res.status, 404, res.text);
      assert.equal(res.body.code, 'row_not_found');
    });

    test(`when it filters ${c.resource} for AMER rows, then none come back, whatever the filter`, async () => {
      for (const filter of c.amerFilters()) {
        const res = await http.get(`/${c.resource}?${filter}&limit=500`).set('Authorization', auth);
        assert.equal(res.status, 200, `${filter}: ${res.text}`);
        assert.deepEqual([...new Set(await regionsOf(c, res.body as Array<Record<string, unknown>>))].filter((r) => r !== 'EMEA'), [], filter);
      }
    });

    const writes = c.writes;
    if (!writes) {
      test(`when it tries to write ${c.resource}, then 405 and the view is unchanged`, async () => {
        const before_ = await snapshot(c.resource);
        assert.equal((await http.post(`/${c.resource}`).set('Authorization', auth).send({})).status, 405);
        assert.equal((await http.patch(c.amerPath()).set('Authorization', auth).send({})).status, 405);
        assert.equal((await http.delete(c.amerPath()).set('Authorization', auth)).status, 405);
        assert.equal(await snapshot(c.resource), before_);
      });
      return;
    }

    test(`when it creates a row of ${c.resource} under an AMER customer, then 403 row_rule_violation and nothing is created`, async () => {
      const before_ = await snapshot(c.resource);
      const res = await http.post(`/${c.resource}`).set('Authorization', auth).send(writes.amerBody());
      assert.equal(res.status, 403, res.text);
      assert.equal(res.body.code, 'row_rule_violation');
      assert.equal(await snapshot(c.resource), before_);
    });

    test(`when it bulk-creates rows of ${c.resource} mixing its own region and AMER, then 403 and none is created`, async () => {
      const before_ = await snapshot(c.resource);
      const res = await http.post(`/${c.resource}`).set('Authorization', auth).send([writes.emeaBody(), writes.amerBody()]);
      assert.equal(res.status, 403, res.text);
      assert.equal(await snapshot(c.resource), before_);
    });

    test(`when it upserts onto the key of an AMER row of ${c.resource}, then it is refused as any key it may not reach, and the row is unchanged`, async () => {
      const before_ = await snapshot(c.resource);
      for (const resolution of ['merge-duplicates', 'ignore-duplicates']) {
        const res = await http.post(`/${c.resource}`).set('Authorization', auth).set('Prefer', `resolution=${resolution}`).send(writes.upsertAmer());
        assert.ok([403, 404, 409].includes(res.status), `${resolution}: ${res.status} ${res.text}`);
      }
      assert.equal(await snapshot(c.resource), before_);
    });

    test(`when it PUTs onto an AMER row of ${c.resource}, then it is refused and the row is unchanged`, async () => {
      const before_ = await snapshot(c.resource);
      const res = await http.put(c.amerPath()).set('Authorization', auth).send(writes.putAmer());
      assert.ok([403, 404, 409].includes(res.status), `${res.status} ${res.text}`);
      assert.equal(await snapshot(c.resource), before_);
    });

    test(`when it PATCHes or DELETEs an AMER row of ${c.resource} by key, then 404 and the row is unchanged`, async () => {
      const before_ = await snapshot(c.resource);
      assert.equal((await http.patch(c.amerPath()).set('Authorization', auth).send(writes.harmless)).status, 404);
      assert.equal((await http.delete(c.amerPath()).set('Authorization', auth)).status, 404);
      assert.equal(await snapshot(c.resource), before_);
    });

    test(`when it PATCHes or DELETEs ${c.resource} through filters naming AMER rows, then no row is touched`, async () => {
      const before_ = await snapshot(c.resource);
      for (const filter of c.amerFilters()) {
        const patched: supertest.Response = await http.patch(`/${c.resource}?${filter}`).set('Authorization', auth).send(writes.harmless);
        assert.ok(patched.status === 204 || patched.status === 400, `${filter}: ${patched.text}`);
        if (patched.status === 204) assert.equal(patched.headers['content-range'], '*/0', filter);
        const deleted: supertest.Response = await http.delete(`/${c.resource}?${filter}`).set('Authorization', auth);
        assert.ok(deleted.status === 204 || deleted.status === 400, `${filter}: ${deleted.text}`);
        if (deleted.status === 204) assert.equal(deleted.headers['content-range'], '*/0', filter);
      }
      assert.equal(await snapshot(c.resource), before_);
    });

    test(`when it PATCHes one of its own rows of ${c.resource} over to an AMER customer, then 403 and the row stays`, async () => {
      const before_ = await snapshot(c.resource);
      const { path, body } = writes.move();
      const res = await http.patch(path).set('Authorization', auth).send(body);
      assert.equal(res.status, 403, res.text);
      assert.equal(await snapshot(c.resource), before_);
    });
  });
}

describe('the demo user within its own region', () => {
  test('when it creates an order and a line for its own customer, reads them and deletes them, then every step succeeds', async () => {
    const created = await http.post('/orders').set('Authorization', auth).set('Prefer', 'return=representation').send(order(emeaCustomer));
    assert.equal(created.status, 201, created.text);
    const orderNo = Number(created.body.orderNo);
    const lineRes = await http.post('/order-lines').set('Authorization', auth).send(line(orderNo, 1));
    assert.equal(lineRes.status, 201, lineRes.text);
    assert.equal((await http.get(`/order-lines/${orderNo}/1`).set('Authorization', auth)).status, 200);
    assert.equal((await http.delete(`/orders/${orderNo}`).set('Authorization', auth)).status, 204);
    assert.equal(await count(db, `"ORD_LINE" where "ORD_NO" = ?`, [orderNo]), 0);
  });

  test('when it reads the balance of one of its own customers, then 200; the item catalogue stays open', async () => {
    assert.equal((await http.get(`/customer-balances/${emeaCustomer}`).set('Authorization', auth)).status, 200);
    assert.equal((await http.get(`/items/${itemCode}`).set('Authorization', auth)).status, 200);
  });
});
