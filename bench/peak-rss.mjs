// Preloaded into a measured child process (node --import): on exit, prints its own peak RSS and CPU time (user + system,
// which a busy machine inflates far less than wall time) as one JSON line on stderr.
process.on('exit', () => {
  const usage = process.resourceUsage();
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  process.stderr.write(`\n${JSON.stringify({ peakRssBytes: usage.maxRSS * 1024, cpuSeconds })}\n`);
});
