// JSON Schema of the `report:` section: the migration report's zones, thresholds and limits, with their defaults.

const share = (value: number) => ({ type: 'number', minimum: 0, maximum: 1, default: value }) as const;

export const reportJsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    /** Zones (names from network.zones) whose callers count as cloud; absent: every zone whose name starts with `cloud`. */
    cloudZones: { type: 'array', items: { type: 'string', minLength: 1 } },
    /** Window when none is given: `30d`, `12h`, `2w`, … */
    defaultSince: { type: 'string', pattern: '^[1-9][0-9]*[mhdw]$', default: '30d' },
    thresholds: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** retire: at most this many requests reached the table in the window. */
        retireMaxRequests: { type: 'integer', minimum: 0, default: 0 },
        /** Fewer requests than this (and more than retireMaxRequests): too little traffic to move anything, keep. */
        minRequests: { type: 'integer', minimum: 1, default: 10 },
        /** migrate: at least this share of the requests comes from cloud zones… */
        migrateCloudShare: share(0.7),
        /** …and at most this share of the writes comes from elsewhere (on-prem). */
        migrateMaxOnPremWriteShare: share(0.1),
        /** replicate: at least this share of the reads comes from cloud zones… */
        replicateCloudReadShare: share(0.6),
        /** …and at least this share of the writes comes from on-prem. */
        replicateOnPremWriteShare: share(0.5),
        /** keep (sensitive): a table with pii / confidential columns read from the cloud at most this share. */
        sensitiveMaxCloudReadShare: share(0),
      },
    },
    coAccess: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Two tables are co-accessed when one client uses both within the same minute at least this many times… */
        minSharedMinutes: { type: 'integer', minimum: 1, default: 3 },
        /** …and in at least this share of the minutes the less used of the two is used by that client. */
        minShare: share(0.5),
      },
    },
    /** The report's queries against the store may take this long (the store's statementTimeoutMs is for the audit log). */
    statementTimeoutMs: { type: 'integer', minimum: 1000, default: 300000 },
  },
} as const;
