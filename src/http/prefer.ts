// The Prefer request header (RFC 7240) as PostgREST uses it; unknown preferences are ignored, as the RFC says.
import { ValidationError } from '../errors/app-error.js';
import type { Preferences } from '../query/types.js';

export function parsePrefer(header: string | string[] | undefined): Preferences {
  const values = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  let ret: Preferences['return'];
  let count: Preferences['count'];
  let resolution: Preferences['resolution'];
  let maxAffected: number | undefined;
  for (const pref of values) {
    const [name, value] = pref.split('=').map((s) => s.trim().toLowerCase());
    if (name === 'return' && (value === 'representation' || value === 'minimal')) ret = value;
    else if (name === 'count' && value === 'exact') count = 'exact';
    else if (name === 'resolution' && (value === 'merge-duplicates' || value === 'ignore-duplicates')) resolution = value;
    else if (name === 'max-affected') {
      if (!value || !/^\d{1,9}$/.test(value)) {
        throw new ValidationError('invalid_preference', 'Prefer: max-affected takes a whole number');
      }
      maxAffected = Number(value);
    }
  }
  return { return: ret, count, resolution, maxAffected };
}

/** The Preference-Applied header value for what was honoured. */
export function appliedPreferences(applied: Record<string, string | undefined>): string | undefined {
  const parts = Object.entries(applied)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}
