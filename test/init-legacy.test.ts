// `gatehouse init` on the legacy fixture, on PGlite and PostgreSQL: the document's shape, then served unchanged.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { testPostgres, freshDatabase } from './support/pg-env.js';
import { generateAndServe, type GeneratedGateway } from './support/generated-gateway.js';
import { loadLegacyFixture } from './support/legacy-fixture.js';
import { describeProblems, redoclyLint } from './support/redocly-lint.js';

type Doc = {
  paths: Record<string, Record<string, unknown> & { 'x-gatehouse': { key: string[]; table: string; schema: string } }>;
  components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>>; required?: string[] }> };
};

const pg = testPostgres();
const BACKENDS = [
  { name: 'PGlite', skip: undefined as string | undefined, url: async (): Promise<string | undefined> => undefined },
  { name: 'PostgreSQL', skip: 'skip' in pg ? pg.skip : undefined, url: async () => freshDatabase('init_legacy') },
];

for (const backend of BACKENDS) {
  describe(`init on the legacy fixture (${backend.name})`, { skip: backend.skip }, () => {
    let g: GeneratedGateway;
    let doc: Doc;
    before(async () => {
      g = await generateAndServe({
        url: await backend.url(),
        sourceName: 'legacy',
        seed: loadLegacyFixture,
        init: { schemas: ['legacy'] },
      });
      doc = g.generated.document as unknown as Doc;
    });
    after(async () => g?.close());

    it('when a table has a primary, composite or unique key, then it gets an item path keyed by it; keyless tables and views get the collection only', () => {
      const paths = Object.keys(doc.paths).sort();
      assert.deepEqual(paths, [
        '/audit-trail',
        '/currency-rate',
        '/currency-rate/{currency}/{validFrom}',
        '/customer-master',
        '/customer-master/{custId}',
        '/open-orders',
        '/order-line',
        '/order-line/{orderNo}/{lineNo}',
        '/sales-order',
        '/sales-order/{orderNo}',
        '/shang-pin',
        '/shang-pin/{bianHao}',
      ]);
      assert.deepEqual(doc.paths['/order-line/{orderNo}/{lineNo}']!['x-gatehouse'], {
        source: 'legacy',
        schema: 'legacy',
        table: 'OrderLine',
        key: ['orderNo', 'lineNo'],
      });
      assert.deepEqual(Object.keys(doc.paths['/open-orders']!).filter((k) => !k.startsWith('x-')), ['get'], 'a view is read-only');
      assert.deepEqual(
        ['get', 'post', 'patch', 'delete'].filter((m) => m in doc.paths['/audit-trail']!),
        ['get', 'post', 'patch', 'delete'],
      );
      assert.deepEqual(
        ['get', 'patch', 'put', 'delete'].filter((m) => m in doc.paths['/customer-master/{custId}']!),
        ['get', 'patch', 'put', 'delete'],
      );
      const list = doc.paths['/customer-master']!.get as { security: unknown; operationId: string };
      assert.deepEqual(list.security, [{ bearer: ['customer-master:read'] }]);
      assert.deepEqual((doc.paths['/customer-master']!.post as { security: unknown }).security, [{ bearer: ['customer-master:write'] }]);
      const warnings = g.generated.notes.filter((n) => n.code === 'no_key').map((n) => [n.relation, n.level]);
      assert.deepEqual(warnings.sort(), [
        ['legacy.Open Orders', 'info'],
        ['legacy.audit_trail', 'warning'],
        ['legacy.currency_rate', 'info'],
      ]);
    });

    it('when columns have legacy names, then API names are camelCase, the database names are kept, and every rename is reported', () => {
      const customer = doc.components.schemas.CustomerMaster!;
      assert.equal(customer.properties.grosse!['x-gatehouse-column'], 'Größe');
      assert.equal(customer.properties.orderDate!['x-gatehouse-column'], 'Order Date');
      assert.equal(customer.properties.orderDate2!['x-gatehouse-column'], 'order_date');
      assert.equal(doc.components.schemas.OrderLine!.properties.orderColumn!['x-gatehouse-column'], 'order');
      assert.equal(customer.properties.custId!.readOnly, true, 'an identity column is read-only');
      assert.deepEqual(customer.required, ['custCode', 'fullName'], 'NOT NULL without a default is required');
      assert.equal(customer.properties.loyaltyPoints!.description, 'Lifetime loyalty points.');
      assert.equal(customer.properties.tags!['x-gatehouse-classification'], 'unclassified');
      const renames = g.generated.notes.filter((n) => n.code === 'renamed').map((n) => `${n.relation}: ${n.message}`);
      for (const expected of [
        'legacy.Customer Master: column "Größe" is property "grosse" (transliterated)',
        'legacy.Customer Master: column "order_date" is property "orderDate2" (collision)',
        'legacy.OrderLine: column "order" is property "orderColumn" (reserved)',
        'legacy.商品: path is "shang-pin" (transliterated)',
      ]) {
        assert.ok(renames.includes(expected), `missing note: ${expected}\nnotes:\n${renames.join('\n')}`);
      }
      const fk = doc.components.schemas.SalesOrder!.properties.custId!.description as string;
      assert.match(fk, /References `CustomerMaster\.custId` \(foreign key sales_order_customer_fk\)/);
      const links = ((doc.paths['/sales-order/{orderNo}']!.get as Record<string, unknown>).responses as Record<string, { links?: unknown }>)['200']!.links;
      assert.deepEqual(links, {
        customerMaster: {
          operationId: 'getCustomerMaster',
          parameters: { custId: '$response.body#/custId' },
          description: 'The Customer Master row this row refers to (foreign key sales_order_customer_fk).',
        },
      });
    });

    it('when the document is served unchanged, then lists and gets by key return rows in API names, with exact numbers as strings', async () => {
      const list = await g.http.get('/customer-master?order=custId');
      assert.equal(list.status, 200, list.text);
      assert.equal(list.body.length, 3);
      const acme = (await g.http.get('/customer-master/1')).body as Record<string, unknown>;
      assert.equal(acme.custCode, 'ACME01');
      assert.equal(acme.fullName, 'Acme Corp');
      assert.equal(acme.grosse, '42.5');
      assert.equal(acme.loyaltyPoints, '9007199254740993', 'a bigint beyond 2^53 keeps every digit');
      assert.deepEqual(acme.tags, ['gold', 'emea']);
      assert.equal(acme.orderDate, '2024-01-02');
      assert.equal(acme.orderDate2, '2024-01-03');
      const line = await g.http.get('/order-line/1/2');
      assert.equal(line.status, 200, line.text);
      assert.deepEqual(line.body, { orderNo: '1', lineNo: 2, orderColumn: 20, sku: 'SKU-2', qty: 1, unitPrice: '20.00' });
      const rate = await g.http.get('/currency-rate/USD/2024-01-01');
      assert.equal(rate.status, 200, rate.text);
      assert.equal(rate.body.rate, '1.092500');
      const product = await g.http.get('/shang-pin/1');
      assert.deepEqual(product.body, { bianHao: 1, mingCheng: '茶' });
      const order = (await g.http.get('/sales-order/1')).body as Record<string, unknown>;
      assert.deepEqual(order.payload, { lines: 2, rush: true });
      assert.equal(order.status, 'NEW');
      assert.deepEqual(order.priorities, [1, 2, 3]);
      const audit = await g.http.get('/audit-trail');
      assert.equal(audit.status, 200, audit.text);
      assert.equal(audit.body.length, 2, 'both identical rows of a keyless table are listed');
      const open = await g.http.get('/open-orders?order=orderNo');
      assert.deepEqual(open.body.map((r: { orderNo: string }) => r.orderNo), ['1', '2']);
      const filtered = await g.http.get('/customer-master?orderDate2=is.null&select=custCode&order=custCode');
      assert.deepEqual(filtered.body, [{ custCode: 'GLOBEX' }, { custCode: 'ZOE7' }]);
      assert.equal((await g.http.get('/customer-master/99')).status, 404);
    });

    it('when rows come back, then each one validates against its generated entity schema', async () => {
      const ajv = new Ajv2020({ strict: false, validateFormats: false });
      for (const [path, item] of Object.entries(doc.paths)) {
        if (path.includes('{')) continue;
        const ref = ((((item.get as Record<string, unknown>).responses as Record<string, unknown>)['200'] as Record<string, unknown>)
          .content as Record<string, { schema: { items: { $ref: string } } }>)['application/json']!.schema.items.$ref;
        const entity = doc.components.schemas[ref.split('/').pop()!]!;
        const validate = ajv.compile(entity);
        const res = await g.http.get(path);
        assert.equal(res.status, 200, `${path}: ${res.text}`);
        assert.ok(res.body.length > 0, `${path} returned no rows`);
        for (const row of res.body) assert.ok(validate(row), `${path}: ${JSON.stringify(row)}: ${ajv.errorsText(validate.errors)}`);
      }
    });

    it('when a client writes through the generated contract, then identity columns are refused and required ones enforced', async () => {
      const created = await g.http.post('/customer-master').set('Prefer', 'return=representation').send({ custCode: 'NEW1', fullName: 'New' });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.isActive, true);
      assert.match(String(created.headers.location), /^\/customer-master\/\d+$/);
      const readOnly = await g.http.post('/customer-master').send({ custId: 77, custCode: 'NEW2', fullName: 'New' });
      assert.equal(readOnly.status, 400, readOnly.text);
      const missing = await g.http.post('/customer-master').send({ custCode: 'NEW3' });
      assert.equal(missing.status, 400, missing.text);
      assert.match(missing.text, /fullName/);
    });

    if (backend.name === 'PGlite') {
      it('when the generated document is linted with Redocly, then it has no errors', async () => {
        const result = await redoclyLint(g.specPath);
        assert.equal(result.errors, 0, describeProblems(result));
      });

      it('when views are asked to be writable, then their collection gets write operations and the binding says writable', async () => {
        const writable = await generateAndServe({
          url: undefined,
          sourceName: 'legacy',
          seed: loadLegacyFixture,
          init: { schemas: ['legacy'], include: ['Open Orders'], writableViews: true },
        });
        try {
          const item = (writable.generated.document as unknown as Doc).paths['/open-orders']!;
          assert.deepEqual(['get', 'post', 'patch', 'delete'].filter((m) => m in item), ['get', 'post', 'patch', 'delete']);
          assert.equal((item['x-gatehouse'] as unknown as { writable?: boolean }).writable, true);
          assert.equal((await writable.http.get('/open-orders')).status, 200);
        } finally {
          await writable.close();
        }
      });

      it('when init runs with --naming snake, then API names are snake_case and the document still serves', async () => {
        const snake = await generateAndServe({
          url: undefined,
          sourceName: 'legacy',
          seed: loadLegacyFixture,
          init: { schemas: ['legacy'], naming: 'snake' },
        });
        try {
          const props = (snake.generated.document as unknown as Doc).components.schemas.CustomerMaster!.properties;
          assert.equal(props.order_date!['x-gatehouse-column'], undefined, 'order_date keeps its own name');
          assert.equal(props.order_date_2!['x-gatehouse-column'], 'Order Date');
          const res = await snake.http.get('/customer-master/1?select=full_name,loyalty_points');
          assert.deepEqual(res.body, { full_name: 'Acme Corp', loyalty_points: '9007199254740993' });
        } finally {
          await snake.close();
        }
      });
    }
  });
}
