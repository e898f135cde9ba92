// The recommendation for one table: pure, from its usage, sensitivity, blockers and the configured thresholds.
import type { ReportThresholds } from '../config/types.js';
import type { UsageCounts } from './table-metrics.js';
import type { Reason, Recommendation } from './types.js';

export interface RecommendInput {
  readonly usage: UsageCounts;
  readonly denied: number;
  readonly sensitive: { readonly pii: readonly string[]; readonly confidential: readonly string[] };
  readonly blockers: readonly Reason[];
  readonly cloudZones: readonly string[];
  readonly window: { readonly from: string; readonly to: string };
}

export interface RecommendResult {
  readonly recommendation: Recommendation;
  readonly score: number;
  readonly reasons: Reason[];
}

const pct = (share: number): string => `${Math.round(share * 100)}%`;
const day = (iso: string): string => iso.slice(0, 10);

/**
 * Order matters: an unused table is retired whatever else is true of it; a blocked one is kept whatever its
 * traffic; then sensitivity, too little traffic, and finally where the traffic comes from.
 */
export function recommend(input: RecommendInput, t: ReportThresholds): RecommendResult {
  const u = input.usage;
  const cloudShare = u.used > 0 ? u.cloudUsed / u.used : 0;
  const cloudReadShare = u.usedReads > 0 ? u.cloudReads / u.usedReads : 0;
  const onPremWriteShare = u.usedWrites > 0 ? u.onPremWrites / u.usedWrites : 0;
  const writeFraction = u.used > 0 ? u.usedWrites / u.used : 0;
  const score = Math.round(100 * cloudShare * (1 - onPremWriteShare * writeFraction));
  const cloud = input.cloudZones.length > 0 ? input.cloudZones.join(', ') : 'no zone is marked as cloud';
  const sensitiveColumns = [...input.sensitive.pii, ...input.sensitive.confidential];
  const classes = [input.sensitive.pii.length > 0 ? 'pii' : '', input.sensitive.confidential.length > 0 ? 'confidential' : '']
    .filter(Boolean)
    .join(' and ');
  const reasons: Reason[] = [];

  if (u.used <= t.retireMaxRequests) {
    reasons.push({
      code: 'unused',
      text:
        u.used === 0
          ? `No request read or wrote this table between ${day(input.window.from)} and ${day(input.window.to)}: archive it and drop it rather than move it.`
          : `Only ${u.used} request(s) used this table in the window (at most ${t.retireMaxRequests} counts as unused): archive it rather than move it.`,
    });
    if (input.denied > 0) {
      reasons.push({ code: 'only_denied', text: `${input.denied} request(s) were refused access to it: check with their owners before retiring it.` });
    }
    return { recommendation: 'retire', score: 0, reasons };
  }
  if (sensitiveColumns.length > 0) {
    reasons.push({
      code: 'sensitive_data',
      text: `It holds ${classes} columns (${sensitiveColumns.join(', ')}): moving or copying it needs the data owner's approval.`,
    });
  }
  if (input.blockers.length > 0) {
    reasons.unshift({
      code: 'blocked',
      text: `It cannot move as it is: ${input.blockers.map((b) => b.code.replace(/_/g, ' ')).join(', ')} (see the blockers).`,
    });
    reasons.push(...input.blockers);
    if (cloudShare >= t.migrateCloudShare) {
      reasons.push({ code: 'cloud_traffic', text: `${pct(cloudShare)} of its requests come from the cloud: fix the blockers and it is a candidate to move.` });
    }
    return { recommendation: 'keep', score, reasons };
  }
  if (sensitiveColumns.length > 0 && cloudReadShare <= t.sensitiveMaxCloudReadShare) {
    reasons.unshift({
      code: 'sensitive_onprem_only',
      text: `Its ${classes} data is read only on-prem (${pct(cloudReadShare)} of reads from the cloud): keep it on-prem.`,
    });
    return { recommendation: 'keep', score, reasons };
  }
  if (u.used < t.minRequests) {
    reasons.unshift({
      code: 'little_traffic',
      text: `Only ${u.used} request(s) in the window (fewer than ${t.minRequests}): too little use to justify moving it.`,
    });
    return { recommendation: 'keep', score, reasons };
  }
  if (cloudShare >= t.migrateCloudShare && onPremWriteShare <= t.migrateMaxOnPremWriteShare) {
    reasons.unshift(
      { code: 'cloud_traffic', text: `${pct(cloudShare)} of its requests come from cloud zones (${cloud}): move it next to its callers.` },
      {
        code: u.usedWrites === 0 ? 'no_writes' : 'onprem_writes_rare',
        text:
          u.usedWrites === 0
            ? 'Nothing writes to it in the window, so nothing on-prem depends on writing it here.'
            : `Only ${pct(onPremWriteShare)} of its writes come from on-prem: repoint those writers when it moves.`,
      },
    );
    return { recommendation: 'migrate', score, reasons };
  }
  if (cloudReadShare >= t.replicateCloudReadShare && onPremWriteShare >= t.replicateOnPremWriteShare) {
    reasons.unshift(
      { code: 'cloud_reads', text: `${pct(cloudReadShare)} of its reads come from cloud zones (${cloud}).` },
      {
        code: 'onprem_writes',
        text: `${pct(onPremWriteShare)} of its writes come from on-prem: keep the master here and give the cloud a read replica or cache.`,
      },
    );
    return { recommendation: 'replicate', score, reasons };
  }
  reasons.unshift({
    code: 'onprem_traffic',
    text: `${pct(1 - cloudShare)} of its requests come from on-prem callers: keep it on-prem, next to them.`,
  });
  return { recommendation: 'keep', score, reasons };
}
