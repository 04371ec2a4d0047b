// Runs serverless-offline (osls) as a child process: the API on localhost, as API Gateway and Lambda would serve it.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { stopWithGrace } from './cluster/processes.ts';

export const projectRoot = resolve(import.meta.dirname, '..');

export interface OfflineOptions {
  port: number;
  lambdaPort: number;
  /** Settings for the functions (MOOPKEY, KUBECONFIG, ...); they override the environment and .env. */
  env: Record<string, string>;
  /** serverless-esbuild's work folder, relative to the project; one per concurrent instance. */
  workFolder?: string;
  /**
   * How many invocations one handler serves at once: they run in serverless-offline's own process, each in its own
   * invocation context (lib/aws/invocation.ts), as on Lambda with AWS_LAMBDA_MAX_CONCURRENCY. 64 by default.
   */
  concurrency?: number;
  /**
   * Let cleanup's schedule fire (for `npm start`, as a deployment does); tests and the benchmark run cleanup
   * themselves.
   */
  schedule?: boolean;
  /** Receives every output line of serverless-offline, function logs included. */
  onLine?: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface Offline {
  url: string;
  lambdaUrl: string;
  /** serverless-offline's process (the leader of its own process group). */
  pid: number;
  /** serverless-esbuild's work folder, removed by stop(). */
  workFolder: string;
  stop(): Promise<void>;
}

/** Starts serverless-offline and resolves once it serves, or rejects with its output if it fails to start. */
export async function startOffline(options: OfflineOptions): Promise<Offline> {
  const workFolder = options.workFolder ?? '.esbuild';
  const child = spawnOffline(options, workFolder);
  const stop = async (): Promise<void> => {
    await stopWithGrace(child, 5000, { group: true });
    if (workFolder !== '.esbuild') rmSync(join(projectRoot, workFolder), { recursive: true, force: true });
  };
  await untilServing(child, options, stop);
  return {
    url: `http://127.0.0.1:${options.port}`,
    lambdaUrl: `http://127.0.0.1:${options.lambdaPort}`,
    pid: child.pid!,
    workFolder,
    stop,
  };
}

/** serverless-offline as the leader of its own process group, so that stopping it stops its workers too. */
function spawnOffline(options: OfflineOptions, workFolder: string): ChildProcessByStdio<null, Readable, Readable> {
  const serverless = join(projectRoot, 'node_modules/osls/bin/serverless.js');
  const ports = ['--httpPort', String(options.port), '--lambdaPort', String(options.lambdaPort)];
  // In process: one Node process for every function, instead of a worker thread (30-35 MB, kept) per concurrent
  // invocation. A rebuilt handler is not reloaded there, so serverless-esbuild never watches: `npm start` restarts.
  return spawn(process.execPath, [serverless, 'offline', 'start', '--useInProcess', ...ports], {
    cwd: projectRoot,
    env: {
      ...process.env,
      ...options.env,
      ESBUILD_WORK_FOLDER: workFolder,
      CLEANUP_SCHEDULE_ENABLED: options.schedule ? 'true' : 'false',
      NOTICE_SCHEDULE_ENABLED: options.schedule ? 'true' : 'false',
      ESBUILD_WATCH: './.no-watch/none',
      AWS_LAMBDA_MAX_CONCURRENCY: String(options.concurrency ?? 64),
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      // esbuild (a Go program) keeps its heap near this while it bundles the functions: a third less at the peak.
      GOMEMLIMIT: process.env.GOMEMLIMIT ?? '256MiB',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
}

/**
 * Resolves once serverless-offline says it serves; rejects, with its last output, if it exits first or takes too long.
 */
function untilServing(
  child: ChildProcessByStdio<null, Readable, Readable>,
  options: OfflineOptions,
  stop: () => Promise<void>,
): Promise<void> {
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(
        new Error(`serverless-offline did not start within ${timeoutMs / 1000}s:\n${output.slice(-30).join('\n')}`),
      );
    }, timeoutMs);
    const onLine = (line: string): void => {
      output.push(line);
      if (output.length > 200) output.shift();
      options.onLine?.(line);
      if (line.includes('Server ready:')) {
        clearTimeout(timer);
        resolve();
      }
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serverless-offline exited (${code}) before it was ready:\n${output.slice(-30).join('\n')}`));
    });
  });
}
