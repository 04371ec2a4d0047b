// Run in a fresh Node process by cleanup-scale.ts: one cleanup invocation, then its summary counts and peak memory.
const [bundle, event] = process.argv.slice(2) as [string, string];
const { handler } = (await import(bundle)) as {
  handler: (e: unknown, c: unknown) => Promise<{ actions: Record<string, { count: number }>; failures: unknown[] }>;
};
const started = performance.now();
const summary = await handler(JSON.parse(event), {
  functionName: 'cleanup',
  awsRequestId: 'bench',
  getRemainingTimeInMillis: () => 300_000,
});
const counts = Object.fromEntries(Object.entries(summary.actions).map(([k, v]) => [k, v.count]));
process.stdout.write(
  `${JSON.stringify({ runMs: Math.round(performance.now() - started), counts, failures: summary.failures.length, failed: summary.failures.slice(0, 3), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
process.exit(0);
