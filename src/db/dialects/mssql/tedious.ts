// The tedious driver, loaded the first time a SQL Server source uses it: it and the Azure identity libraries it
// brings take about a second and tens of megabytes to load, which a gateway with PostgreSQL sources only never needs.
import { createRequire } from 'node:module';

type Tedious = typeof import('tedious');

export function createTediousLoader(): () => Tedious {
  const require = createRequire(import.meta.url);
  let loaded: Tedious | undefined;
  return () => (loaded ??= require('tedious') as Tedious);
}
