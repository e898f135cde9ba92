// Who is calling: the result of token verification, handed to policy evaluation and the audit log.

export interface Principal {
  /** `sub` claim. */
  readonly subject: string;
  /** `client_id` / `azp` claim, when the token carries one. */
  readonly clientId: string | undefined;
  readonly scopes: ReadonlySet<string>;
  readonly roles: ReadonlySet<string>;
  /** `jti`, for the audit log. */
  readonly tokenId: string | undefined;
  /** Every verified claim (row rules may reference them as {claims.name}). */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** The caller's network identity, resolved through trusted proxies only. */
export interface ClientAddress {
  /** Canonical client IP (IPv4-mapped IPv6 normalised to IPv4). */
  readonly ip: string;
  /** The X-Forwarded-For chain as received (for the audit log), left to right. */
  readonly forwardedFor: readonly string[];
  /** The named network zone the address falls in, if any (e.g. `cloud-vpn`). */
  readonly zone: string | undefined;
}
