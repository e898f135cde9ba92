// One request's audit state: its event id, the SQL it ran, the values to mask, its write-ahead intents.
import type { RequestContext } from '../http/context.js';
import { newId } from '../util/ids.js';
import type { QueryPlan } from '../query/types.js';
import type { AuditClient, AuditContent, AuditOutcome, AuditPrincipal, AuditStatement } from './event.js';
import { cleanOptional, cleanString, toJsonValue, type JsonValue } from './json-value.js';
import { maskKey, sensitiveValues } from './sensitive-values.js';
import type { AuditWriter } from './writer.js';

export interface RequestFacts {
  readonly method: string;
  readonly path: string;
  readonly peer: string | undefined;
}

interface OpenStatement {
  source: string;
  sql: string;
  bindings: JsonValue[];
  rows: number | null;
  durationMs: number | null;
  error: string | null;
}

export class RequestAudit {
  /** The request event's id; its intents and any recovered outcome carry it as `ref`. */
  readonly eventId = newId();
  private readonly statements: OpenStatement[] = [];
  // Created when first needed: most requests mask nothing and note nothing.
  private masked: Map<string, string> | undefined;
  private detail: Record<string, JsonValue> | undefined;
  private route: { template: string; operationId: string } | undefined;
  private releaseRef: (() => void) | undefined;
  private intents = 0;

  constructor(
    private readonly writer: AuditWriter,
    private readonly strict: boolean,
    private readonly ctx: RequestContext,
    private readonly facts: RequestFacts,
  ) {}

  /** Write-ahead: before a plan runs. Mutations get an intent record, durable (strict mode) before they run. */
  async beforeExecute(plan: QueryPlan, source: string): Promise<void> {
    for (const [key, cls] of sensitiveValues(plan, this.ctx.operation?.resource)) (this.masked ??= new Map()).set(key, cls);
    if (plan.kind === 'select') return;
    await this.intent({
      action: plan.kind,
      source,
      table: plan.table.schema ? `${plan.table.schema}.${plan.table.name}` : plan.table.name,
    });
  }

  /** Write-ahead for anything else that must not happen unrecorded (e.g. a streamed body about to be released). */
  async intent(detail: Record<string, JsonValue>): Promise<void> {
    this.intents += 1;
    this.releaseRef ??= this.writer.holdRef(this.eventId);
    const content: AuditContent = {
      ...this.build(null, false),
      id: newId(),
      kind: 'intent',
      outcome: 'intent',
      status: null,
      errorCode: null,
      latencyMs: null,
      rows: null,
      statements: this.snapshotStatements(),
      detail,
    };
    const appended = this.writer.append(content);
    if (this.strict) await appended;
    else appended.catch(() => undefined);
  }

  get hasIntents(): boolean {
    return this.intents > 0;
  }

  /** Called by the SQL capture when a statement starts; returns the entry it fills in when the statement ends. */
  openStatement(source: string, sql: string, bindings: readonly unknown[]): OpenStatement {
    const entry: OpenStatement = {
      source,
      sql: cleanString(sql),
      bindings: bindings.map((b) => this.mask(b)),
      rows: null,
      durationMs: null,
      error: null,
    };
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
  build(status: number | null, clientWentAway: boolean, outcome?: AuditOutcome): AuditContent {
    const ctx = this.ctx;
    const op = ctx.operation;
    return {
      id: this.eventId,
      kind: 'request',
      ref: this.eventId,
      occurredAt: ctx.receivedAt.toISOString(),
      requestId: cleanString(ctx.requestId),
      method: this.facts.method,
      path: cleanString(this.facts.path),
      route: cleanOptional(op?.path ?? this.route?.template),
      operationId: cleanOptional(op?.operationId ?? this.route?.operationId),
      resource: cleanOptional(op?.resource.name),
      status,
      outcome: outcome ?? outcomeFor(status, clientWentAway),
      errorCode: cleanOptional(ctx.errorCode),
      deniedBy: cleanOptional(ctx.deniedBy),
      latencyMs: Math.round((Number(process.hrtime.bigint() - ctx.startedAt) / 1e6) * 1000) / 1000,
      rows: ctx.rows ?? null,
      principal: principalOf(ctx),
      client: clientOf(ctx, this.facts.peer),
      statements: this.snapshotStatements(),
      detail: detailOf(this.detail, ctx.clientRequestId),
    };
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
    return this.statements.map((s) => ({ ...s, bindings: [...s.bindings] }));
  }
}

/** The noted facts, and the caller's own X-Request-Id when it was not adopted as the request id (kept apart). */
function detailOf(noted: Record<string, JsonValue> | undefined, clientRequestId: string | undefined): Record<string, JsonValue> | null {
  if (clientRequestId === undefined) return noted ? { ...noted } : null;
  return { ...noted, clientRequestId: cleanString(clientRequestId) };
}

function outcomeFor(status: number | null, clientWentAway: boolean): AuditOutcome {
  if (clientWentAway) return 'aborted';
  if (status === null || status >= 500) return 'failed';
  if (status >= 400) return 'denied';
  return 'success';
}

function principalOf(ctx: RequestContext): AuditPrincipal | null {
  const p = ctx.principal;
  if (!p) return null;
  return {
    subject: cleanString(p.subject),
    clientId: cleanOptional(p.clientId),
    scopes: [...p.scopes].map(cleanString).sort(),
    roles: [...p.roles].map(cleanString).sort(),
    tokenId: cleanOptional(p.tokenId),
  };
}

function clientOf(ctx: RequestContext, peer: string | undefined): AuditClient {
  const c = ctx.client;
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
