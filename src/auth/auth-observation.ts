// Typed events that token verification reports (to the logger, metrics, or a test's counter).

export type AuthObservation =
  /** A token was accepted; `cached` when the verified-token cache answered without checking the signature. */
  | { readonly type: 'token_verified'; readonly issuer: string; readonly cached: boolean }
  | { readonly type: 'token_rejected'; readonly code: string; readonly reason: string }
  /** A JWKS URL was fetched or a JWKS file re-read; `limited`: the per-minute budget refused it. */
  | { readonly type: 'jwks_fetch'; readonly source: string; readonly outcome: 'ok' | 'failed' | 'limited' };

export type AuthObserver = (event: AuthObservation) => void;
