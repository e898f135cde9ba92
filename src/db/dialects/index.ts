// The one place a data source's client name picks its dialect.
import type { SourceClient } from '../../config/types.js';
import { createMssqlDialect } from './mssql/index.js';
import { createPostgresDialect } from './postgres/index.js';
import type { Dialect } from './types.js';

export function dialectFor(client: SourceClient, sourceName: string): Dialect {
  switch (client) {
    case 'pg':
    case 'pglite':
      return createPostgresDialect();
    case 'mssql':
      return createMssqlDialect(sourceName);
  }
}
