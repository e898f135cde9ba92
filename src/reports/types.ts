// The migration report's model: the JSON every format renders (its names are a contract: add, never rename).

export type Recommendation = 'migrate' | 'replicate' | 'keep' | 'retire';
export const RECOMMENDATIONS: readonly Recommendation[] = ['migrate', 'replicate', 'keep', 'retire'];

export interface Reason {
  /** Stable, machine-readable. */
  readonly code: string;
  /** One plain sentence a planner can act on. */
  readonly text: string;
}

export interface ZoneShare {
  /** A zone of network.zones, or null for callers in none. */
  readonly zone: string | null;
  readonly cloud: boolean;
  readonly requests: number;
  readonly rows: number;
  /** Of the table's requests (0–1). */
  readonly share: number;
  /** Of the table's rows read and written (0–1). */
  readonly rowShare: number;
}

export interface DayTraffic {
  /** YYYY-MM-DD (UTC). */
  readonly day: string;
  /** Requests per zone (`(none)` for callers in no zone). */
  readonly zones: Readonly<Record<string, number>>;
}

export interface TableMetrics {
  readonly requests: number;
  readonly reads: number;
  readonly writes: number;
  /** By operation kind of the contract: list, read, create, update, replace, delete, updateMany, deleteMany. */
  readonly byOperation: Readonly<Record<string, number>>;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly bytesOut: number;
  /** 5xx answers. */
  readonly errors: number;
  /** 4xx answers (address, token, policy, validation, not found). */
  readonly denials: number;
  readonly latencyMs: { readonly p50: number | null; readonly p95: number | null };
  readonly firstAccess: string | null;
  readonly lastAccess: string | null;
  readonly principals: number;
  readonly clients: number;
  readonly zones: readonly ZoneShare[];
  /** Shares of the requests that were not denied (0–1; null without any). */
  readonly cloudShare: number | null;
  readonly cloudRowShare: number | null;
  readonly cloudReadShare: number | null;
  /** Of the writes, the share from outside the cloud zones. */
  readonly onPremWriteShare: number | null;
  /** Requests by hour of day (UTC), 24 numbers. */
  readonly byHour: readonly number[];
  readonly byDay: readonly DayTraffic[];
  readonly size: { readonly estimatedRows: number | null; readonly bytes: number | null };
}

export interface ColumnReport {
  readonly property: string;
  readonly column: string;
  readonly classification: string | null;
  /** Requests that selected, filtered on, ordered by this property. */
  readonly selected: number;
  readonly filtered: number;
  readonly ordered: number;
  /** Not selected by any request in the window (while the table was read). */
  readonly neverRead: boolean;
}

export interface ForeignKeyReport {
  readonly columns: readonly string[];
  readonly references: { readonly source: string; readonly table: string; readonly resource: string | null; readonly columns: readonly string[] };
}

export interface TableReport {
  readonly source: string;
  readonly table: string;
  readonly resource: string;
  /** Every resource bound to the table (usually one). */
  readonly resources: readonly string[];
  readonly kind: 'table' | 'view' | 'unknown';
  readonly recommendation: Recommendation;
  /** 0–100: how much of the table's use comes from the cloud, less on-prem writes (see README). */
  readonly score: number;
  readonly reasons: readonly Reason[];
  readonly metrics: TableMetrics;
  readonly columns: readonly ColumnReport[];
  readonly sensitivity: { readonly pii: readonly string[]; readonly confidential: readonly string[] };
  readonly blockers: readonly Reason[];
  readonly foreignKeys: readonly ForeignKeyReport[];
  /** Id of the co-access group the table belongs to, or null. */
  readonly group: string | null;
}

export interface CoAccessGroup {
  readonly id: string;
  /** Resource names. */
  readonly tables: readonly string[];
  readonly pairs: ReadonlyArray<{ readonly a: string; readonly b: string; readonly sharedMinutes: number; readonly share: number }>;
  /** Recommendations in the group: more than one means moving them apart, which the reasons say. */
  readonly recommendations: readonly Recommendation[];
}

export interface MigrationReport {
  readonly window: { readonly from: string; readonly to: string };
  readonly generatedAt: string;
  /** No request reached any table in the window: a valid report that says so. */
  readonly empty: boolean;
  readonly notes: readonly string[];
  readonly zones: { readonly all: readonly string[]; readonly cloud: readonly string[] };
  readonly thresholds: Readonly<Record<string, number>>;
  readonly summary: { readonly tables: number; readonly requests: number; readonly recommendations: Readonly<Record<Recommendation, number>> };
  readonly tables: readonly TableReport[];
  readonly groups: readonly CoAccessGroup[];
  /** Resources in the audit log that the contract no longer has. */
  readonly unknownResources: ReadonlyArray<{ readonly resource: string; readonly requests: number }>;
}
