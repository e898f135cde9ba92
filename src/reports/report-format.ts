// The report's renderer for each format (the formats themselves: report-media.ts).
import { renderHtml } from './render-html.js';
import type { ReportFormat } from './report-media.js';
import { renderCsv, renderMarkdown } from './render-text.js';
import type { MigrationReport } from './types.js';

export { MIGRATION_REPORT_PATH, REPORT_FORMATS, REPORT_MEDIA_TYPES, type ReportFormat } from './report-media.js';

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
