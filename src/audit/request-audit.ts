// One request's audit state: its event id, the SQL it ran, the values to mask, its write-ahead intents.
// It learns about the request only from the facts it is handed; it never looks anything up.
import type { ClientAddress, Principal } from '../auth/principal.js';
import type { Operation, Resource } from '../openapi/resource.js';
import type { QueryPlan } from '../query/types.js';
import { columnUsage, mergeColumnUsage, type ColumnUsage } from '../reports/column-usage.js';
import { newId } from '../util/ids.js';
import type { AuditClient, AuditContent, AuditOutcome, AuditPrincipal, AuditStatement } from './event.js';
import { cleanOptional, cleanString, toJsonValue, type JsonValue } from './json-value.js';
import { maskKey, sensitiveValues } from './sensitive-values.js';
import type { AuditWriter } from './writer.js';

/** What is known about the request when an event is built: as far as the pipeline got. */
export interface RequestFacts {
  readonly requestId: string;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
  readonly startedAt: bigint;
  readonly method: string;
  readonly path: string;
  readonly peer: string | undefined;
  readonly client: ClientAddress | undefined;
  readonly principal: Principal | undefined;
  readonly operation: Pick<Operation, 'path' | 'operationId' | 'resource'> | undefined;
}

/** How the request ended. */
export interface Settlement {
  readonly status: number | null;
  readonly clientWentAway: boolean;
  readonly errorCode: string | undefined;
  /** The rule or list that denied the request. */
  readonly deniedBy: string | undefined;
  readonly rows: number | undefined;
  readonly outcome?: AuditOutcome;
  /** Bytes of the response body (data operations: the migration report's "bytes out"). */
  readonly bytesOut?: number;
}

/** One statement's entry, filled in when the statement ends. */
class OpenStatement {
  rows: number | null = null;
  durationMs: number | null = null;
  error: string | null = null;
  private readonly started = process.hrtime.bigint();

  constructor(
    readonly source: string,
    readonly sql: string,
    readonly bindings: JsonValue[],
  ) {}

  end(rows: number | null, error: string | null): void {
    this.durationMs = Math.round((Number(process.hrtime.bigint() - this.started) / 1e6) * 1000) / 1000;
    this.rows = rows;
    this.error = error;
  }
}

export class RequestAudit {
  /** The request event's id; its intents and any recovered outcome carry it as `ref`. */
  readonly eventId = newId();
  private readonly statements: OpenStatement[] = [];
  // Created when first needed: most requests mask nothing and note nothing.
  private masked: Map<string, string> | undefined;
  private detail: Record<string, JsonValue> | undefined;
  private route: { template: string; operationId: string } | undefined;
  // For the migration report: the properties this request's plans selected, filtered and ordered on.
  private columns: ColumnUsage | undefined;
  private releaseRef: (() => void) | undefined;
  private intents = 0;

  constructor(
    private readonly writer: AuditWriter,
    private readonly strict: boolean,
  ) {}

  /**
   * Write-ahead, before a plan runs: mutations get an intent record, durable (strict mode) before they run.
   * Values the plan binds to classified columns are noted, so its statements show them masked.
   */
  async beforeExecute(facts: RequestFacts, plan: QueryPlan, source: string, resource: Resource): Promise<void> {
    for (const [key, cls] of sensitiveValues(plan, resource)) (this.masked ??= new Map()).set(key, cls);
    this.columns = mergeColumnUsage(this.columns, columnUsage(plan, resource));
    if (plan.kind === 'select') return;
    await this.intent(facts, {
      action: plan.kind,
      source,
      table: plan.table.schema ? `${plan.table.schema}.${plan.table.name}` : plan.table.name,
    });
  }

  /** Write-ahead for anything else that must not happen unrecorded (e.g. a streamed body about to be released). */
  async intent(facts: RequestFacts, detail: Record<string, JsonValue>): Promise<void> {
    this.intents += 1;
    this.releaseRef ??= this.writer.holdRef(this.eventId);
    const content: AuditContent = {
      ...this.build(facts, INTENT),
      id: newId(),
      kind: 'intent',
      outcome: 'intent',
      status: null,
      errorCode: null,
      latencyMs: null,
      rows: null,
      detail,
    };
    const appended = this.writer.append(content);
    if (this.strict) await appended;
    else appended.catch(() => undefined);
  }

  get hasIntents(): boolean {
    return this.intents > 0;
  }

  /** A statement starts (values as bound); the returned entry is ended when it does. */
  statement(source: string, sql: string, values: readonly unknown[]): { end(rows: number | null, error: string | null): void } {
    const entry = new OpenStatement(source, cleanString(sql), values.map((b) => this.mask(b)));
    this.statements.push(entry);
    return entry;
  }

  /** Route template and operation for endpoints that are not in the contract (the gateway's own). */
  setRoute(template: string, operationId: string): void {
    this.route = { template, operationId };
  }

  /** Extra facts for this request's event (e.g. an auditor's search filters). */
  note(key: string, value: unknown): void {
    (this.detail ??= {})[cleanString(key)] = toJsonValue(value);
  }

  /** The request event, as of now. */
  build(facts: RequestFacts, settlement: Settlement): AuditContent {
    const op = facts.operation;
    return {
      id: this.eventId,
      kind: 'request',
      ref: this.eventId,
      occurredAt: new Date(facts.receivedAt).toISOString(),
      requestId: cleanString(facts.requestId),
      method: facts.method,
      path: cleanString(facts.path),
      route: cleanOptional(op?.path ?? this.route?.template),
      operationId: cleanOptional(op?.operationId ?? this.route?.operationId),
      resource: cleanOptional(op?.resource.name),
      status: settlement.status,
      outcome: settlement.outcome ?? outcomeFor(settlement.status, settlement.clientWentAway),
      errorCode: cleanOptional(settlement.errorCode),
      deniedBy: cleanOptional(settlement.deniedBy),
      latencyMs: Math.round((Number(process.hrtime.bigint() - facts.startedAt) / 1e6) * 1000) / 1000,
      rows: settlement.rows ?? null,
      principal: principalOf(facts.principal),
      client: clientOf(facts.client, facts.peer),
      statements: this.snapshotStatements(),
      detail: this.eventDetail(facts, settlement),
    };
  }

  /** Free-form facts; `columns` and `bytesOut` of data requests are read by the migration report (see its migration). */
  private eventDetail(facts: RequestFacts, settlement: Settlement): Record<string, JsonValue> | null {
    const bytesOut = facts.operation ? settlement.bytesOut : undefined;
    if (!this.detail && !this.columns && bytesOut === undefined) return null;
    const detail: Record<string, JsonValue> = { ...this.detail };
    if (this.columns) detail.columns = { select: [...this.columns.select], filter: [...this.columns.filter], order: [...this.columns.order] };
    if (bytesOut !== undefined) detail.bytesOut = bytesOut;
    return detail;
  }

  /** The request is over: recovery may now close its intents if its event never arrives. */
  finish(): void {
    this.releaseRef?.();
  }

  private mask(value: unknown): JsonValue {
    const cls = this.masked !== undefined && value !== null && value !== undefined ? this.masked.get(maskKey(value)) : undefined;
    return cls === undefined ? toJsonValue(value) : `[masked:${cls}]`;
  }

  private snapshotStatements(): AuditStatement[] {
    return this.statements.map((s) => ({
      source: s.source,
      sql: s.sql,
      bindings: [...s.bindings],
      rows: s.rows,
      durationMs: s.durationMs,
      error: s.error,
    }));
  }
}

const INTENT: Settlement = { status: null, clientWentAway: false, errorCode: undefined, deniedBy: undefined, rows: undefined };

function outcomeFor(status: number | null, clientWentAway: boolean): AuditOutcome {
  if (clientWentAway) return 'aborted';
  if (status === null || status >= 500) return 'failed';
  if (status >= 400) return 'denied';
  return 'success';
}

function principalOf(p: Principal | undefined): AuditPrincipal | null {
  if (!p) return null;
  return {
    subject: cleanString(p.subject),
    clientId: cleanOptional(p.clientId),
    scopes: [...p.scopes].map(cleanString).sort(),
    roles: [...p.roles].map(cleanString).sort(),
    tokenId: cleanOptional(p.tokenId),
  };
}

function clientOf(c: ClientAddress | undefined, peer: string | undefined): AuditClient {
  return {
    ip: cleanOptional(c?.ip ?? normaliseIp(peer)),
    forwardedFor: (c?.forwardedFor ?? []).map(cleanString),
    zone: cleanOptional(c?.zone),
    peer: cleanOptional(normaliseIp(peer)),
  };
}

function normaliseIp(ip: string | undefined): string | undefined {
  return ip?.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
