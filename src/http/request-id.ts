// Which id a request is known by: the gateway's own, or the caller's X-Request-Id once the caller is admitted.
// Pure, so that every door requests come through (express today, node:http for data) decides it the same way.

/** What a client may send as X-Request-Id: short, and nothing a log line or a header could be split on. */
export const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestIds {
  /** The id the request is answered, logged and audited under. */
  readonly requestId: string;
  /** The caller's own id when it was not adopted (recorded apart, in the audit event's detail). */
  readonly clientRequestId: string | undefined;
}

/** The caller's X-Request-Id when it is well-formed (one header, one value); otherwise none. */
export function clientRequestIdFrom(header: string | readonly string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? (header.length === 1 ? header[0] : undefined) : header;
  return typeof value === 'string' && WELL_FORMED_REQUEST_ID.test(value) ? value : undefined;
}

/**
 * A caller's id is adopted only once it is `admitted`: past the address allowlist, authenticated (when
 * authentication is on) and authorized. Before that — and for every caller refused on the way — the gateway's own id
 * stands, and the caller's is kept apart: an outsider cannot plant events under the id of someone else's request.
 */
export function settleRequestId(gatewayId: string, clientRequestId: string | undefined, admitted: boolean): RequestIds {
  if (admitted && clientRequestId !== undefined) return { requestId: clientRequestId, clientRequestId: undefined };
  return { requestId: gatewayId, clientRequestId };
}
