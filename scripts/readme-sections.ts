// README sections generated from the code (`npm run gen:docs`), between `<!-- generated:NAME -->` markers.
import { ERROR_STAGES, registeredCodes } from '../src/errors/codes.js';

/** The error table: one row per registered code, in stage order, the stage named on its first row. */
export function renderErrorTable(): string {
  const rows = ['| stage | code | status | meaning |', '|---|---|---|---|'];
  let stage: string | undefined;
  for (const entry of registeredCodes()) {
    const title = ERROR_STAGES[entry.stage].title;
    rows.push(`| ${title === stage ? '' : title} | \`${entry.code}\` | ${entry.status} | ${entry.meaning} |`);
    stage = title;
  }
  return `${rows.join('\n')}\n`;
}

export const README_SECTIONS: Readonly<Record<string, () => string>> = {
  'error-codes': renderErrorTable,
};

/** `readme` with each generated section replaced by what the code says now; throws if a marker pair is missing. */
export function regenerateReadme(readme: string): string {
  let out = readme;
  for (const [name, render] of Object.entries(README_SECTIONS)) {
    const start = `<!-- generated:${name} (npm run gen:docs) -->\n`;
    const end = `<!-- end:${name} -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end, from);
    if (from < 0 || to < 0) throw new Error(`README.md has no "${start.trim()}" … "${end}" section`);
    out = out.slice(0, from + start.length) + render() + out.slice(to);
  }
  return out;
}
