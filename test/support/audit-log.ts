// Audit helpers for tests: signing keys and the store's events read behind the API's back (the gateway itself comes
// from `startGateway({ config: testConfig({ store }) })` in gateway.ts).
import { generateKeyPairSync } from 'node:crypto';
import type { Knex } from 'knex';

export function ed25519Pem(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Request events (newest last) for a request id, read straight from the store. */
export async function eventsFor(storeDb: Knex, requestId: string): Promise<Array<Record<string, unknown>>> {
  return (await storeDb('audit_events').where({ request_id: requestId }).orderBy('seq')) as Array<Record<string, unknown>>;
}
