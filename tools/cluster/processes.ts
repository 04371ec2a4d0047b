// Processes: one control-plane program as a child process, with its output in a log file and a readiness wait; and
// what every part of the harness does to processes (whether one is alive, killing, stopping with a grace, killing on
// exit, reading command lines).
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** HTTP status of GET url, or undefined when nothing answers. ca verifies the server; insecure skips verification. */
export function probe(
  url: string,
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; insecure?: boolean } = {},
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(
      url,
      { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Whether process pid exists (EPERM: it does, but is not ours to signal). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends signal to pid (a process group by negative pid), unless it is already gone. */
function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGKILLs pid (a process group by negative pid), unless it is already gone. */
export function killQuietly(pid: number): void {
  signalQuietly(pid, 'SIGKILL');
}

/**
 * Stops child: SIGTERM (to its whole process group with group, the child leading one), then SIGKILL to the child
 * after graceMs; resolves once it has exited.
 */
export async function stopWithGrace(
  child: ChildProcess,
  graceMs: number,
  options: { group?: boolean } = {},
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (options.group) signalQuietly(-child.pid!, 'SIGTERM');
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Runs handler synchronously when this process exits (process.exit, or nothing left to do; not when a signal kills it).
 * Returns what cancels it.
 */
export function onExit(handler: () => void): () => void {
  process.on('exit', handler);
  return () => process.off('exit', handler);
}

/** SIGKILLs the given processes when this process exits without having stopped them. Returns what cancels it. */
export function killOnExit(pids: () => (number | undefined)[]): () => void {
  return onExit(() => {
    for (const pid of pids()) if (pid) killQuietly(pid);
  });
}

/** Every process's id and command line (its arguments separated by NUL), read from /proc. */
export function commandLines(): { pid: number; cmdline: string }[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((p) => {
      try {
        return [{ pid: Number(p), cmdline: readFileSync(`/proc/${p}/cmdline`, 'utf8') }];
      } catch {
        return [];
      }
    });
}

/** One running program of the local cluster. */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(name: string, logDir: string) {
    this.name = name;
    this.logFile = join(logDir, `${name}.log`);
  }

  start(bin: string, args: string[], env?: NodeJS.ProcessEnv): void {
    this.exit = undefined;
    const fd = openSync(this.logFile, 'a');
    try {
      this.child = spawn(bin, args, { stdio: ['ignore', fd, fd], ...(env ? { env } : {}) });
    } finally {
      closeSync(fd);
    }
    this.child.on('exit', (code, signal) => (this.exit = { code, signal }));
    this.child.on('error', () => (this.exit = { code: -1, signal: null }));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && !this.exit;
  }

  /** Last lines of the program's log, for error messages. */
  logTail(lines = 25): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Polls ready() until it holds; fails early, with the log's tail, if the program exits. */
  async waitUntil(what: string, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exit) {
        throw new Error(
          `${this.name} exited (${this.exit.code ?? this.exit.signal}) before ${what}. Log ${this.logFile}:\n${this.logTail()}`,
        );
      }
      if (await ready().catch(() => false)) return;
      await sleep(100);
    }
    throw new Error(
      `${this.name} did not reach "${what}" within ${timeoutMs / 1000}s. Log ${this.logFile}:\n${this.logTail()}`,
    );
  }

  /** Sends a signal, e.g. SIGSTOP and SIGCONT to freeze and thaw the program. */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Stops the program: SIGTERM, then SIGKILL after graceMs. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.child || this.exit) return;
    await stopWithGrace(this.child, graceMs);
  }
}
