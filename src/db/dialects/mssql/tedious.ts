// tedious, loaded on first use: it is the heaviest module the gateway could load (about 40 MB of a process's
// memory), and a gateway in front of PostgreSQL alone never needs it.
import { createRequire } from 'node:module';
import type * as Tedious from 'tedious';

let loaded: typeof Tedious | undefined;

export function tedious(): typeof Tedious {
  loaded ??= createRequire(import.meta.url)('tedious') as typeof Tedious;
  return loaded;
}
