// The floor `pipeline.bench.ts` measures every server against: node:http and a pg Pool, named prepared statements,
// JSON.stringify and one res.end(string) per response; nothing else (no auth, no validation, no logging).
// Usage: node floor-server.mjs CONNECTION_STRING PORT POOL_SIZE COLUMNS
// GET /items/{id} → the row or 404; GET /items?after=N&limit=L → up to L rows with id > N, in id order.
import { createServer } from 'node:http';
import pg from 'pg';

const [connectionString, port, poolSize, columns] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString, max: Number(poolSize) });
const byKey = { name: 'item_by_key', text: `SELECT ${columns} FROM item WHERE id = $1` };
const page = { name: 'item_page', text: `SELECT ${columns} FROM item WHERE id > $1 ORDER BY id LIMIT $2` };
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

function send(res, status, body) {
  res.writeHead(status, JSON_HEADERS);
  res.end(body);
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://floor');
  const match = /^\/items(?:\/(\d+))?$/.exec(url.pathname);
  if (req.method !== 'GET' || !match) return send(res, 404, '{"title":"not found"}');
  const query = match[1]
    ? pool.query({ ...byKey, values: [Number(match[1])] })
    : pool.query({ ...page, values: [Number(url.searchParams.get('after') ?? 0), Number(url.searchParams.get('limit') ?? 50)] });
  query.then(
    ({ rows }) => {
      if (match[1]) send(res, rows.length === 1 ? 200 : 404, rows.length === 1 ? JSON.stringify(rows[0]) : '{"title":"not found"}');
      else send(res, 200, JSON.stringify(rows));
    },
    (err) => send(res, 500, JSON.stringify({ title: err.message })),
  );
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
