// Column masking in responses: full, partial (last 4 characters kept) or a keyed hash (joinable, not reversible).
import { createHmac } from 'node:crypto';
import type { MaskMode } from '../config/types.js';

export function maskValue(mode: MaskMode, value: unknown, key: string | undefined): unknown {
  if (value === null || value === undefined) return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  switch (mode) {
    case 'full':
      return '****';
    case 'partial':
      return text.length <= 4 ? '****' : `****${text.slice(-4)}`;
    case 'hash':
      return `hmac:${createHmac('sha256', key ?? '').update(text).digest('base64url').slice(0, 22)}`;
  }
}

export function maskRows(
  rows: Record<string, unknown>[],
  masks: ReadonlyMap<string, MaskMode>,
  key: string | undefined,
): Record<string, unknown>[] {
  if (masks.size === 0) return rows;
  for (const row of rows) {
    for (const [column, mode] of masks) if (column in row) row[column] = maskValue(mode, row[column], key);
  }
  return rows;
}
