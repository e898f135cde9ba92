// The one place a data source's client name picks its dialect.
import type { SourceClient } from '../../config/types.js';
import { ConfigError } from '../../errors/app-error.js';
import { createPostgresDialect } from './postgres/index.js';
import type { Dialect } from './types.js';

export function dialectFor(client: SourceClient, sourceName: string): Dialect {
  switch (client) {
    case 'pg':
    case 'pglite':
      return createPostgresDialect();
    case 'mssql':
      throw new ConfigError([
        `sources.${sourceName}.client: the SQL Server dialect is not part of this release; use pg or pglite`,
      ]);
  }
}
