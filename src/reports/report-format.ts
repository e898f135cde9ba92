// The report's formats: names, media types, file extensions, and the renderer for each.
import { renderHtml } from './render-html.js';
import { renderCsv, renderMarkdown } from './render-text.js';
import type { MigrationReport } from './types.js';

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

export function renderReport(report: MigrationReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'csv':
      return renderCsv(report);
    case 'md':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
  }
}
