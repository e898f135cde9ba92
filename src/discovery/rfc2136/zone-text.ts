// Records in zone-file form, for logs, readiness details and `gatehouse dns status`.
import type { ReadRecord } from './rfc2136-client.js';
import type { RecordData, SrvData, WireRecord } from './dns-wire.js';

function rdataText(type: string, data: RecordData | unknown): string {
  if (type === 'SRV') {
    const srv = data as SrvData;
    return `${srv.priority} ${srv.weight} ${srv.port} ${fq(srv.target)}`;
  }
  if (type === 'TXT') {
    const strings = Array.isArray(data) ? (data as Array<Buffer | string>) : [data as Buffer | string];
    return strings.map((s) => JSON.stringify(s.toString())).join(' ');
  }
  return String(data);
}

function fq(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

export function recordText(record: WireRecord | ReadRecord): string {
  return `${fq(record.name)} ${record.ttl} ${record.class} ${record.type} ${rdataText(record.type, record.data)}`;
}
