// Pipeline step 6: the operation's required scopes and the access rules → a Decision, or 403 with the denying rule.
import type { RequestHandler } from 'express';
import type { Principal } from '../../auth/principal.js';
import { type AppError, UnauthenticatedError } from '../../errors/app-error.js';
import type { CompiledPolicy } from '../../policy/compile-policies.js';
import { evaluatePolicy } from '../../policy/evaluate.js';
import { admitCaller } from '../admit-caller.js';
import { contextOf, type RequestContext } from '../context.js';

/** Extra per-principal checks run before the rules (e.g. per-client / per-scope source allowlists). */
export type PrincipalCheck = (ctx: RequestContext, principal: Principal) => AppError | undefined;

export function authorize(policy: CompiledPolicy, checks: readonly PrincipalCheck[] = []): RequestHandler {
  return (req, res, next) => {
    const ctx = contextOf(req);
    const operation = ctx.operation;
    const principal = ctx.principal;
    if (!operation) return next();
    if (!principal) {
      return next(new UnauthenticatedError('missing_token', 'a bearer token is required', 'Bearer realm="gatehouse"'));
    }
    for (const check of checks) {
      const error = check(ctx, principal);
      if (error) return next(error);
    }
    const evaluation = evaluatePolicy(policy, principal, operation);
    if (!evaluation.allowed) {
      ctx.deniedBy = evaluation.rule ?? evaluation.error.code;
      return next(evaluation.error);
    }
    ctx.decision = evaluation.decision;
    admitCaller(ctx, res);
    next();
  };
}
