// Run in a fresh Node process by cold-start.ts: imports one bundle and answers one invocation, then exits.
const [bundle, event] = process.argv.slice(2) as [string, string];
const context = { functionName: 'cold', awsRequestId: 'cold', getRemainingTimeInMillis: () => 28_000 };
const { handler } = (await import(bundle)) as { handler: (e: unknown, c: unknown) => Promise<unknown> };
const result = await handler(JSON.parse(event), context);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
