// What `gatehouse demo` prints once it listens: the token, requests to try, and how to read the audit log.
import path from 'node:path';

export interface DemoBanner {
  readonly url: string;
  readonly summary: unknown;
  readonly token: string;
  /** The configuration the CLI can read the demo's audit log with (only with --data-dir). */
  readonly cliConfig?: string;
}

export function printDemoBanner(out: NodeJS.WritableStream, banner: DemoBanner): void {
  const { url, token } = banner;
  const auth = `-H "Authorization: Bearer $TOKEN"`;
  const lines = [
    '',
    `Gatehouse demo is listening on ${url} (embedded PostgreSQL, legacy ERP seeded: ${JSON.stringify(banner.summary)})`,
    '',
    'A token for the demo user (all ERP scopes, audit:read and reports:read, region EMEA, valid 8 hours):',
    `  export TOKEN=${token}`,
    '',
    'Try:',
    `  curl ${auth} '${url}/customers?select=id,name,region,creditLimit&order=name&limit=5'`,
    `  curl ${auth} '${url}/items?discontinued=is.false&unitCost=lt.20&order=unitCost.desc&limit=3'`,
    `  curl ${auth} '${url}/order-lines/10001/1'`,
    `  curl ${auth} -X POST '${url}/customers' -H 'Content-Type: application/json' -H 'Prefer: return=representation' \\`,
    `       -d '{"name":"Ada Lovelace","email":"ada@example.com","region":"EMEA"}'`,
    '',
    `  curl ${auth} '${url}/_gatehouse/audit/events?limit=5'          # the audit log: every request and SQL statement`,
    `  curl ${auth} '${url}/_gatehouse/audit/verify'                  # its hash chains and signed checkpoints`,
    `  npx gatehouse report migration --url ${url} --token "$TOKEN" --format html --out report.html   # what to move to the cloud`,
    '',
    ...auditLines(banner.cliConfig),
    '',
    'The customers rule shows only EMEA rows and masks credit limits; a customer in another region is 404.',
    `Contract: ${url}/openapi.json (yours: ?scoped=true with the token)   Docs: ${url}/docs/   Health: ${url}/readyz`,
    'Stop with Ctrl-C.',
    '',
  ];
  out.write(lines.join('\n'));
}

function auditLines(cliConfig: string | undefined): string[] {
  if (cliConfig === undefined) {
    return [
      'The audit log lives in memory and ends with this process. To keep it and check it from the command line',
      'afterwards, run the demo with --data-dir DIR.',
    ];
  }
  const relative = path.relative(process.cwd(), cliConfig);
  const config = relative.startsWith('..') || path.isAbsolute(relative) ? cliConfig : relative;
  return [
    `The audit log and the key that signs its checkpoints are kept in ${path.dirname(config)}. Once the demo has stopped:`,
    `  npx gatehouse audit verify --config ${config}`,
    `  npx gatehouse audit export --config ${config} --from 2000-01-01 --to 2100-01-01 --out audit.ndjson`,
  ];
}
