// The progress bar `gatehouse init` draws on stderr (cli-progress); silent under --quiet.
import cliProgress from 'cli-progress';
import type { InitProgress } from '../openapi/generate/generate-from-source.js';

export interface ProgressBar extends InitProgress {
  stop(): void;
}

const STAGE_TEXT = {
  introspecting: 'reading the database catalog',
  generating: 'generating',
  verifying: 'checking the document against the database',
} as const;

export function initProgressBar(stream: NodeJS.WriteStream, options: { quiet: boolean }): ProgressBar {
  if (options.quiet) return { stage: () => undefined, relation: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'init [{bar}] {value}/{total} tables and views | {stage}',
      barsize: 30,
      hideCursor: true,
      // Off a terminal (CI logs, pipes) print a plain line now and then instead of redrawing one.
      noTTYOutput: true,
      notTTYSchedule: 2000,
      etaBuffer: 50,
    },
    cliProgress.Presets.legacy,
  );
  let started = false;
  return {
    stage(name) {
      if (started) bar.update({ stage: STAGE_TEXT[name] });
      // Generating is what the bar itself shows, from its first relation on.
      else if (name !== 'generating') stream.write(`init: ${STAGE_TEXT[name]}…\n`);
    },
    relation(done, total) {
      if (!started) {
        bar.start(total, 0, { stage: STAGE_TEXT.generating });
        started = true;
      }
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
