// Progress bars on stderr (cli-progress), drawn only when stderr is a terminal: a CI log or a pipe gets no
// redrawn lines, only the commands' own summaries. Silent under --quiet.
import cliProgress from 'cli-progress';
import type { InitProgress } from '../init/generate-from-source.js';

export interface ProgressBar extends InitProgress {
  stop(): void;
}

export interface CountProgress {
  update(done: number, total: number): void;
  stop(): void;
}

interface ProgressOptions {
  readonly quiet: boolean;
}

function drawsOn(stream: NodeJS.WriteStream, options: ProgressOptions): boolean {
  return !options.quiet && stream.isTTY === true;
}

function singleBar(stream: NodeJS.WriteStream, format: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar({ stream, format, barsize: 30, hideCursor: true, etaBuffer: 50 }, cliProgress.Presets.legacy);
}

const STAGE_TEXT = {
  introspecting: 'reading the database catalog',
  generating: 'generating',
  verifying: 'checking the document against the database',
} as const;

/** `gatehouse init`: the stages as lines (a long catalog read is not mistaken for a hang), tables as a bar. */
export function initProgressBar(stream: NodeJS.WriteStream, options: ProgressOptions): ProgressBar {
  if (options.quiet) return { stage: () => undefined, relation: () => undefined, stop: () => undefined };
  const bar = drawsOn(stream, options) ? singleBar(stream, 'init [{bar}] {value}/{total} tables and views | {stage}') : undefined;
  let started = false;
  return {
    stage(name) {
      if (started) bar?.update({ stage: STAGE_TEXT[name] });
      // Generating is what the bar itself shows, from its first relation on.
      else if (name !== 'generating' || bar === undefined) stream.write(`init: ${STAGE_TEXT[name]}…\n`);
    },
    relation(done, total) {
      if (bar === undefined) return;
      if (!started) {
        bar.start(total, 0, { stage: STAGE_TEXT.generating });
        started = true;
      }
      bar.update(done);
    },
    stop() {
      if (started) bar?.stop();
      started = false;
    },
  };
}

/** `gatehouse audit verify | export`: records done out of a total. */
export function countProgressBar(stream: NodeJS.WriteStream, label: string, options: ProgressOptions): CountProgress {
  if (!drawsOn(stream, options)) return { update: () => undefined, stop: () => undefined };
  const bar = singleBar(stream, `${label} [{bar}] {value}/{total} records | {eta_formatted}`);
  let started = false;
  return {
    update(done, total) {
      if (total === 0) return;
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
