// One statement on a tedious connection from the pool: parameters typed from their values, rows read like knex's.
import type { Connection } from 'tedious';
import { tedious } from './tedious.js';
import type { DbRow } from '../../../query/types.js';
import type { DriverResult, DriverStatement } from '../../driver.js';
import { parameterOptions, parameterType, parameterValue, readValue } from './values.js';

interface Column {
  value: unknown;
  metadata: { colName: string; type: { name: string }; scale?: number; dataLength?: number };
}

/**
 * Parameterised statements go as `sp_executesql` (SQL Server caches a plan per text, so the statement cache's
 * stable texts are reused without a prepare round trip); statements without values go as a plain batch.
 */
export function runMssql(connection: unknown, statement: DriverStatement): Promise<DriverResult> {
  const tds = connection as Connection;
  return new Promise((resolve, reject) => {
    const rows: DbRow[] = [];
    const request = new (tedious().Request)(statement.text, (err, rowCount) => {
      if (err) reject(err);
      else resolve({ rows, rowCount: rows.length > 0 ? rows.length : statement.values.length > 0 ? (rowCount ?? null) : null });
    });
    request.on('row', (columns: Column[]) => {
      const row: DbRow = {};
      for (const column of columns) row[column.metadata.colName] = readValue(column.value, column.metadata);
      rows.push(row);
    });
    if (statement.values.length === 0) {
      tds.execSqlBatch(request);
      return;
    }
    statement.values.forEach((value, i) => {
      const sent = parameterValue(value);
      request.addParameter(`p${i}`, parameterType(sent), sent, parameterOptions(sent));
    });
    tds.execSql(request);
  });
}
