// Stopping the statement a tedious connection is running: an attention first, then, if the server lets the statement
// run on, the end of its session (KILL), from a connection of its own.
import type { EventEmitter } from 'node:events';
import type { ConnectionConfiguration } from 'tedious';
import type { SourceConfig } from '../../../config/types.js';
import { tediousConfig } from './connection.js';
import { tedious } from './tedious.js';

/** How long an attention may take to stop a statement before its session is ended instead. */
const ATTENTION_WAIT_MS = 300;

interface CancellableConnection {
  /** The request in flight (tedious's own field). */
  request?: EventEmitter;
  /** The server's session id, noted when the connection was made (see rememberSessionId). */
  gatehouseSpid?: number;
  cancel(): boolean;
}

/**
 * SQL Server stops a statement at an attention, even one waiting on a lock, and acknowledges in band: tedious then fails
 * the request with ECANCEL, so nothing later on the connection can be hit by it, and an open transaction stays open for
 * the executor to roll back. Babelfish finishes a lock wait before it looks at the attention: a statement still running
 * after ATTENTION_WAIT_MS has its session ended, which rolls back whatever it had not committed.
 */
export async function cancelMssql(connection: unknown, source: SourceConfig): Promise<void> {
  const tds = connection as CancellableConnection;
  const request = tds.request;
  if (request === undefined || !tds.cancel()) return;
  if (await completesWithin(request, ATTENTION_WAIT_MS)) return;
  if (tds.gatehouseSpid === undefined) throw new Error('the statement did not stop at the attention, and its session id is not known');
  await killSession(tds.gatehouseSpid, source);
}

/** Notes the connection's session id (one round trip when the pool makes it), for ending the session later. */
export async function rememberSessionId(connection: unknown, run: (text: string) => Promise<{ rows: Array<Record<string, unknown>> }>): Promise<void> {
  const { rows } = await run('select @@SPID as spid');
  const spid = Number(rows[0]?.spid);
  if (Number.isInteger(spid)) (connection as CancellableConnection).gatehouseSpid = spid;
}

function completesWithin(request: EventEmitter, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      request.off('requestCompleted', done);
      resolve(false);
    }, ms);
    request.once('requestCompleted', done);
  });
}

/** KILL from a connection made for it (the pool's may all be taken), closed once the server has ended the session. */
function killSession(spid: number, source: SourceConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    const { Connection, Request } = tedious();
    const tds = new Connection(tediousConfig(source) as unknown as ConnectionConfiguration);
    // A failed connection also emits 'error'; connect's callback is what reports it.
    tds.on('error', () => undefined);
    tds.connect((connectErr) => {
      if (connectErr) {
        reject(connectErr);
        return;
      }
      const kill = new Request(`KILL ${spid}`, (err) => {
        tds.close();
        if (err) reject(err);
        else resolve();
      });
      tds.execSqlBatch(kill);
    });
  });
}
