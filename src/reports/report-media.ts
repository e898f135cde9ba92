// The report's formats, their media types, and where a gateway serves it: what the routes and the served document need
// without loading the report's builders and renderers.

/** Where a gateway serves the report (the auditor API's sibling). */
export const MIGRATION_REPORT_PATH = '/_gatehouse/reports/migration';

export type ReportFormat = 'json' | 'csv' | 'md' | 'html';
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'csv', 'md', 'html'];

export const REPORT_MEDIA_TYPES: Readonly<Record<ReportFormat, string>> = {
  json: 'application/json',
  csv: 'text/csv',
  md: 'text/markdown',
  html: 'text/html',
};
