// One DNS exchange with a server: UDP, TCP when the answer is truncated or the request too large; each leg time-bounded.
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { connect } from 'node:net';
import { isTruncated, messageId } from './dns-wire.js';

export interface DnsServerAddress {
  readonly host: string;
  readonly port: number;
}

/** Without EDNS a UDP message may carry 512 bytes (RFC 1035 §4.2.1); a larger request goes over TCP. */
const UDP_LIMIT = 512;

export class DnsTransportError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network',
  ) {
    super(message);
  }
}

export async function exchange(server: DnsServerAddress, request: Buffer, timeoutMs: number): Promise<Buffer> {
  if (request.length > UDP_LIMIT) return exchangeTcp(server, request, timeoutMs);
  const answer = await exchangeUdp(server, request, timeoutMs);
  // A truncated answer is incomplete: for a signed one even its TSIG is missing; ask again over TCP (RFC 7766).
  return isTruncated(answer) ? exchangeTcp(server, request, timeoutMs) : answer;
}

function where(server: DnsServerAddress): string {
  return isIPv6(server.host) ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

function exchangeUdp(server: DnsServerAddress, request: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(server.host) ? 'udp6' : 'udp4');
    const id = messageId(request);
    let settled = false;
    const finish = (err: Error | undefined, answer?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(answer as Buffer);
    };
    const timer = setTimeout(
      () => finish(new DnsTransportError(`no answer from ${where(server)} over UDP within ${timeoutMs} ms`, 'timeout')),
      timeoutMs,
    );
    // A connected socket only hears from the server, and an ICMP "port unreachable" surfaces as ECONNREFUSED.
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(new DnsTransportError(`${where(server)} over UDP: ${err.code ?? err.message}`, 'network')),
    );
    socket.on('message', (answer) => {
      // Anything that is not the answer to this request (a late answer to an earlier try) is ignored.
      if (answer.length >= 12 && messageId(answer) === id && (answer.readUInt16BE(2) & 0x8000) !== 0) finish(undefined, answer);
    });
    socket.connect(server.port, server.host, () => socket.send(request));
  });
}

function exchangeTcp(server: DnsServerAddress, request: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | undefined, answer?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer as Buffer);
    };
    const timer = setTimeout(
      () => finish(new DnsTransportError(`no answer from ${where(server)} over TCP within ${timeoutMs} ms`, 'timeout')),
      timeoutMs,
    );
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(new DnsTransportError(`${where(server)} over TCP: ${err.code ?? err.message}`, 'network')),
    );
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(request.length, 0);
      socket.write(Buffer.concat([length, request]));
    });
    // DNS over TCP: each message is prefixed with its length (RFC 1035 §4.2.2).
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const size = received.readUInt16BE(0);
      if (received.length >= size + 2) finish(undefined, received.subarray(2, size + 2));
    });
    socket.on('end', () => finish(new DnsTransportError(`${where(server)} closed the TCP connection before answering`, 'network')));
  });
}
