// Reload on a changed file: the configuration file and the contract it names, polled (a Kubernetes ConfigMap mounted
// as a directory is updated by swapping a symlink, which file-system events on the old target would miss).
import { statSync } from 'node:fs';

export interface ConfigWatch {
  close(): void;
}

/**
 * Every `intervalMs`, stats each of `files()` (following symlinks); when one differs from the last look (another
 * file, size or modification time), calls `changed` once. `files` is asked each time: a reload may name another
 * contract.
 */
export function watchConfigFiles(files: () => readonly string[], intervalMs: number, changed: () => void): ConfigWatch {
  const seen = new Map<string, string>();
  const signature = (file: string): string => {
    try {
      const st = statSync(file);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      return `missing:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
    }
  };
  for (const file of files()) seen.set(file, signature(file));
  const timer = setInterval(() => {
    let differs = false;
    for (const file of files()) {
      const now = signature(file);
      const before = seen.get(file);
      seen.set(file, now);
      if (before !== undefined && before !== now) differs = true;
    }
    if (differs) changed();
  }, intervalMs);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
