// The demo "legacy ERP" database in T-SQL, for a SQL Server source: the same tables, keys, checks, view and
// descriptions as the PostgreSQL DDL in erp-schema.ts, and how SQL Server takes explicit identity values.
import type { Knex } from 'knex';

const SCHEMA = 'dbo';
const q = (name: string): string => `[${SCHEMA}].[${name}]`;
const lit = (text: string): string => `N'${text.replaceAll("'", "''")}'`;

export const MSSQL_DROP_DDL: readonly string[] = [
  `DROP VIEW IF EXISTS ${q('V_CUST_BALANCE')}`,
  `DROP TABLE IF EXISTS ${q('ORD_LINE')}, ${q('ORD_HDR')}, ${q('CUST_NOTE')}, ${q('ITEM_MSTR')}, ${q('CUST_MSTR')}`,
];

export const MSSQL_CREATE_DDL: readonly string[] = [
  `CREATE TABLE ${q('CUST_MSTR')} (
    [CUST_ID]      int IDENTITY(1, 1) NOT NULL,
    [CUST_NAME]    nvarchar(80)   NOT NULL,
    [EMAIL_ADDR]   nvarchar(120)  NULL,
    [REGION]       char(4)        NOT NULL,
    [Credit Limit] decimal(12, 2) NULL,
    [STATUS_CD]    char(1)        NOT NULL CONSTRAINT [CUST_MSTR_STATUS_DF] DEFAULT 'A',
    [CREATED_TS]   datetimeoffset NOT NULL CONSTRAINT [CUST_MSTR_CREATED_DF] DEFAULT SYSDATETIMEOFFSET(),
    [Straße]       nvarchar(80)   NULL,
    CONSTRAINT [CUST_MSTR_PK] PRIMARY KEY ([CUST_ID]),
    CONSTRAINT [CUST_MSTR_REGION_CK] CHECK ([REGION] IN ('EMEA', 'AMER', 'APAC')),
    CONSTRAINT [CUST_MSTR_STATUS_CK] CHECK ([STATUS_CD] IN ('A', 'I', 'H'))
  )`,
  // A UNIQUE constraint admits one NULL on SQL Server; a filtered unique index gives PostgreSQL's rule (NULLs never clash).
  `CREATE UNIQUE INDEX [CUST_MSTR_EMAIL_UK] ON ${q('CUST_MSTR')} ([EMAIL_ADDR]) WHERE [EMAIL_ADDR] IS NOT NULL`,
  `CREATE TABLE ${q('ITEM_MSTR')} (
    [ITEM_CD]      varchar(12)    NOT NULL,
    [DESCR]        nvarchar(200)  NOT NULL,
    [UNIT_COST]    decimal(10, 2) NOT NULL,
    [ORDER]        int            NULL,
    [DISCONTINUED] bit            NOT NULL CONSTRAINT [ITEM_MSTR_DISC_DF] DEFAULT 0,
    CONSTRAINT [ITEM_MSTR_PK] PRIMARY KEY ([ITEM_CD]),
    CONSTRAINT [ITEM_MSTR_COST_CK] CHECK ([UNIT_COST] >= 0)
  )`,
  `CREATE TABLE ${q('ORD_HDR')} (
    [ORD_NO]    int IDENTITY(1, 1) NOT NULL,
    [CUST_ID]   int            NOT NULL,
    [ORD_DT]    date           NOT NULL,
    [STATUS]    varchar(10)    NOT NULL,
    [TOTAL_AMT] decimal(14, 2) NOT NULL CONSTRAINT [ORD_HDR_TOTAL_DF] DEFAULT 0,
    CONSTRAINT [ORD_HDR_PK] PRIMARY KEY ([ORD_NO]),
    CONSTRAINT [ORD_HDR_CUST_FK] FOREIGN KEY ([CUST_ID]) REFERENCES ${q('CUST_MSTR')} ([CUST_ID])
  )`,
  `CREATE INDEX [ORD_HDR_CUST_IX] ON ${q('ORD_HDR')} ([CUST_ID])`,
  `CREATE TABLE ${q('ORD_LINE')} (
    [ORD_NO]     int            NOT NULL,
    [LINE_NO]    smallint       NOT NULL,
    [ITEM_CD]    varchar(12)    NOT NULL,
    [QTY]        int            NOT NULL,
    [UNIT_PRICE] decimal(10, 2) NOT NULL,
    CONSTRAINT [ORD_LINE_PK] PRIMARY KEY ([ORD_NO], [LINE_NO]),
    CONSTRAINT [ORD_LINE_ORD_FK] FOREIGN KEY ([ORD_NO]) REFERENCES ${q('ORD_HDR')} ([ORD_NO]) ON DELETE CASCADE,
    CONSTRAINT [ORD_LINE_ITEM_FK] FOREIGN KEY ([ITEM_CD]) REFERENCES ${q('ITEM_MSTR')} ([ITEM_CD]),
    CONSTRAINT [ORD_LINE_QTY_CK] CHECK ([QTY] > 0)
  )`,
  `CREATE INDEX [ORD_LINE_ITEM_IX] ON ${q('ORD_LINE')} ([ITEM_CD])`,
  // Deliberately no primary key, unique constraint or foreign key: the legacy table never had them.
  `CREATE TABLE ${q('CUST_NOTE')} (
    [NOTE_ID]    int            NOT NULL,
    [CUST_ID]    int            NOT NULL,
    [NOTE_TXT]   nvarchar(max)  NOT NULL,
    [ENTERED_BY] varchar(30)    NOT NULL,
    [ENTERED_TS] datetime2(0)   NOT NULL
  )`,
  // COUNT_BIG: PostgreSQL's count is a bigint, which both dialects return as text.
  `CREATE VIEW ${q('V_CUST_BALANCE')} AS
    SELECT c.[CUST_ID],
           c.[CUST_NAME],
           c.[REGION],
           COUNT_BIG(o.[ORD_NO]) AS [ORDER_COUNT],
           COALESCE(SUM(CASE WHEN o.[STATUS] IN ('OPEN', 'SHIPPED') THEN o.[TOTAL_AMT] END), 0.00) AS [OPEN_AMT]
      FROM ${q('CUST_MSTR')} c
      LEFT JOIN ${q('ORD_HDR')} o ON o.[CUST_ID] = c.[CUST_ID]
     GROUP BY c.[CUST_ID], c.[CUST_NAME], c.[REGION]`,
  describe('TABLE', 'CUST_MSTR', undefined, 'Customer master: one row per billable customer account.'),
  describe('TABLE', 'ITEM_MSTR', undefined, 'Item master: everything that can appear on an order line.'),
  describe('TABLE', 'ORD_HDR', undefined, 'Sales order header; TOTAL_AMT is the sum of its lines.'),
  describe('TABLE', 'ORD_LINE', undefined, 'Sales order line, numbered from 1 within its order.'),
  describe('TABLE', 'CUST_NOTE', undefined, 'Free-text notes on customer accounts (legacy: no primary key).'),
  describe('VIEW', 'V_CUST_BALANCE', undefined, 'Order count and open (OPEN or SHIPPED) amount per customer.'),
  describe('TABLE', 'CUST_MSTR', 'Credit Limit', 'Maximum open order amount; null means no limit has been set.'),
  describe('TABLE', 'CUST_MSTR', 'STATUS_CD', 'Account status: A = active, I = inactive, H = on hold.'),
  describe('TABLE', 'CUST_MSTR', 'Straße', 'Street address (the column was named by the German subsidiary).'),
  describe('TABLE', 'ITEM_MSTR', 'ORDER', 'Display order in the printed catalogue; null sorts last.'),
  describe('TABLE', 'CUST_NOTE', 'NOTE_ID', 'Unique in practice, but not enforced by any constraint.'),
];

/** SQL Server keeps descriptions as MS_Description extended properties. */
function describe(kind: 'TABLE' | 'VIEW', object: string, column: string | undefined, text: string): string {
  const target = `@level0type = N'SCHEMA', @level0name = ${lit(SCHEMA)}, @level1type = N'${kind}', @level1name = ${lit(object)}`;
  const columnPart = column === undefined ? '' : `, @level2type = N'COLUMN', @level2name = ${lit(column)}`;
  return `EXEC sp_addextendedproperty @name = N'MS_Description', @value = ${lit(text)}, ${target}${columnPart}`;
}

/** Rows per INSERT: SQL Server takes at most 2100 parameters per request (the widest table has 8 columns). */
export const MSSQL_INSERT_BATCH_ROWS = 250;

/** Tables whose keys are identities: explicit keys go in with IDENTITY_INSERT on for that table. */
export const MSSQL_IDENTITY_TABLES = new Set(['CUST_MSTR', 'ORD_HDR']);

export async function withIdentityInsert(trx: Knex.Transaction, table: string, insert: () => Promise<void>): Promise<void> {
  if (!MSSQL_IDENTITY_TABLES.has(table)) return insert();
  await trx.raw(`SET IDENTITY_INSERT ${q(table)} ON`);
  await insert();
  await trx.raw(`SET IDENTITY_INSERT ${q(table)} OFF`);
}

/**
 * Rows as T-SQL takes them: a datetimeoffset is written through an explicit CAST (SQL Server converts the text
 * implicitly; Babelfish, the TDS endpoint the tests use, does not).
 */
export function tsqlRows(trx: Knex.Transaction, rows: readonly object[]): object[] {
  return rows.map((row) => {
    const r = row as Record<string, unknown>;
    return 'CREATED_TS' in r ? { ...r, CREATED_TS: trx.raw('CAST(? AS datetimeoffset)', [r.CREATED_TS as string]) } : r;
  });
}

/** The next identity value handed out: RESEED sets the last one used. */
export async function restartIdentityMssql(trx: Knex.Transaction, table: string, next: number): Promise<void> {
  await trx.raw(`DBCC CHECKIDENT ('${SCHEMA}.${table}', RESEED, ${Math.trunc(next) - 1})`);
}
