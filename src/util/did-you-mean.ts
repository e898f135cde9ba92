// "Did you mean" suggestions for misspelt names (columns, config keys, policy references).
import { distance } from 'fastest-levenshtein';

/** The closest candidate, when it is close enough to be a plausible typo. */
export function closestName(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(needle, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const tolerance = Math.max(2, Math.floor(input.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

/** " (did you mean \"x\"?)" or "" — for appending to a message. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const best = closestName(input, candidates);
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}
