// The baseline `startup.bench.ts` compares against: a bare node process that reads and parses the same contract
// (JSON.parse for JSON, else js-yaml, as the gateway does) and listens, answering /readyz. Usage: startup-baseline.mjs SPEC PORT
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { load } from 'js-yaml';

const [spec, port] = process.argv.slice(2);
const text = readFileSync(spec, 'utf8');
const document = spec.endsWith('.json') ? JSON.parse(text) : load(text);
const paths = Object.keys(document.paths ?? {}).length;
const server = createServer((req, res) => {
  res.writeHead(req.url === '/readyz' ? 200 : 404, { 'content-type': 'text/plain' });
  res.end(`${paths} paths\n`);
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
