// demoAuth: the embedded demo's `auth:` section — one HS256 issuer whose secret is made afresh for each run.
export const DEMO_ISSUER = 'gatehouse-demo';
export const DEMO_AUDIENCE = 'gatehouse';

/**
 * Raw configuration (the shape of `auth:` in gatehouse.yaml), for `loadConfig({ raw: { …, auth } })`.
 * `secret` should be random per run (e.g. `randomBytes(32).toString('base64url')`): demo tokens then die
 * with the process, and no secret is ever shipped in the package.
 */
export function demoAuth(secret: string): Record<string, unknown> {
  return {
    anonymous: false,
    issuers: [{ issuer: DEMO_ISSUER, audience: DEMO_AUDIENCE, keys: [{ kid: 'demo', algorithms: ['HS256'], secret }] }],
  };
}
