// Stopping on a signal: `npm start`, `npm test`, `npm run bench` and `npm run cluster:*` stop what they started when
// they receive SIGINT (Ctrl-C), SIGTERM or SIGHUP, whichever of their processes receives it.
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const exitCodes: Record<(typeof signals)[number], number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

// Ctrl-C reaches a child of npm twice, from the terminal and forwarded by npm: a repeat this soon is the same request.
const repeatWindowMs = 2000;

/**
 * On the first of those signals, runs stop (once) and exits with the signal's conventional status; a signal repeated
 * later while stopping exits at once. Process 'exit' handlers (the cluster's last-resort kill) still run either way.
 */
export function stopOnSignals(
  stop: () => Promise<void>,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): void {
  let stoppingSince: number | undefined;
  for (const signal of signals) {
    process.on(signal, () => {
      if (stoppingSince !== undefined) {
        if (Date.now() - stoppingSince > repeatWindowMs) process.exit(exitCodes[signal]);
        return;
      }
      stoppingSince = Date.now();
      log(`\n[stop] ${signal}: stopping what was started...`);
      stop().then(
        () => process.exit(exitCodes[signal]),
        (err: unknown) => {
          log(`[stop] ${String(err)}`);
          process.exit(exitCodes[signal]);
        },
      );
    });
  }
}
