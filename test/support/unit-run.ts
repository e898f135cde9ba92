// `npm run test:unit` runs only suites that need no database or server; a unit suite that reaches for one fails loudly
// here instead of skipping quietly (which is what a suite run outside `npm test` would otherwise do).

/** The environment variable scripts/test.ts sets for a unit run. */
export const UNIT_RUN_ENV = 'GATEHOUSE_TEST_UNIT';

/** Throws when called from a unit run: `what` (PostgreSQL, Redis, …) is not provisioned there. */
export function refuseInUnitRun(what: string): void {
  if (process.env[UNIT_RUN_ENV] !== '1') return;
  throw new Error(`${what} is not available to unit suites: take this file out of UNIT_SUITES in scripts/unit-suites.ts`);
}
