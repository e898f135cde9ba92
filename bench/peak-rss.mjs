// Preloaded into a measured child process (node --import): on exit, prints its own peak RSS as one JSON line on stderr.
process.on('exit', () => {
  process.stderr.write(`\n${JSON.stringify({ peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
});
