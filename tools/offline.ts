// Runs serverless-offline (osls) as a child process: the API on localhost, as API Gateway and Lambda would serve it.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const projectRoot = resolve(import.meta.dirname, '..');

export interface OfflineOptions {
  port: number;
  lambdaPort: number;
  /** Settings for the functions (MOOPKEY, KUBECONFIG, ...); they override the environment and .env. */
  env: Record<string, string>;
  /** serverless-esbuild's work folder, relative to the project; one per concurrent instance. */
  workFolder?: string;
  /** Rebuild and reload handlers when their sources change (for `npm start`; never under tests). */
  watch?: boolean;
  /** Let cleanup's schedule fire (for `npm start`, as a deployment does); tests and the benchmark run cleanup themselves. */
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
export function startOffline(options: OfflineOptions): Promise<Offline> {
  const workFolder = options.workFolder ?? '.esbuild';
  const child = spawn(
    process.execPath,
    [
      join(projectRoot, 'node_modules/osls/bin/serverless.js'),
      'offline',
      'start',
      '--httpPort',
      String(options.port),
      '--lambdaPort',
      String(options.lambdaPort),
    ],
    {
      cwd: projectRoot,
      env: {
        ...process.env,
        ...options.env,
        ESBUILD_WORK_FOLDER: workFolder,
        CLEANUP_SCHEDULE_ENABLED: options.schedule ? 'true' : 'false',
        ...(options.watch ? {} : { ESBUILD_WATCH: './.no-watch/none' }),
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const output: string[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (workFolder !== '.esbuild') rmSync(join(projectRoot, workFolder), { recursive: true, force: true });
  };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`serverless-offline did not start within ${(options.readyTimeoutMs ?? 120_000) / 1000}s:\n${output.slice(-30).join('\n')}`));
    }, options.readyTimeoutMs ?? 120_000);
    const onLine = (line: string): void => {
      output.push(line);
      if (output.length > 200) output.shift();
      options.onLine?.(line);
      if (line.includes('Server ready:')) {
        clearTimeout(timer);
        resolvePromise({ url: `http://127.0.0.1:${options.port}`, lambdaUrl: `http://127.0.0.1:${options.lambdaPort}`, pid: child.pid!, workFolder, stop });
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serverless-offline exited (${code}) before it was ready:\n${output.slice(-30).join('\n')}`));
    });
  });
}
