// knex ships no types for its dialect modules; the SQL Server client is extended as an opaque class.
declare module 'knex/lib/dialects/mssql/index.js' {
  const ClientMssql: unknown;
  export default ClientMssql;
}
