// A configuration with its secrets blanked, for printing: secret-bearing keys, and passwords inside URLs and DSNs.

export const REDACTED = '[redacted]';

/** Keys whose whole value is a secret wherever they appear. */
const SECRET_KEYS = new Set(['secret', 'signingKey', 'maskKey', 'password', 'privateKey', 'tsigSecret', 'token']);

export function redactConfig(value: unknown, key?: string): unknown {
  if (key !== undefined && SECRET_KEYS.has(key) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((item) => redactConfig(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  }
  return value;
}

/** `postgres://app:pw@db/erp` → `postgres://app:[redacted]@db/erp`; `host=db password=pw` → `password=[redacted]`. */
function redactString(text: string): string {
  const inUrl = text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@/?#\s]+)@/i, `$1${REDACTED}@`);
  return inUrl.replace(/\b(password|pwd)=('[^']*'|[^\s;]+)/gi, `$1=${REDACTED}`);
}
