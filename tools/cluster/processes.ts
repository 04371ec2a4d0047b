// Runs one control-plane program as a child process, with its output in a log file and a readiness wait.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
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
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** HTTP status of GET url, or undefined when nothing answers. ca verifies the server; insecure skips verification. */
export function probe(url: string, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; insecure?: boolean } = {}): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
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
        throw new Error(`${this.name} exited (${this.exit.code ?? this.exit.signal}) before ${what}. Log ${this.logFile}:\n${this.logTail()}`);
      }
      if (await ready().catch(() => false)) return;
      await sleep(100);
    }
    throw new Error(`${this.name} did not reach "${what}" within ${timeoutMs / 1000}s. Log ${this.logFile}:\n${this.logTail()}`);
  }

  /** Sends a signal, e.g. SIGSTOP and SIGCONT to freeze and thaw the program. */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Stops the program: SIGTERM, then SIGKILL after graceMs. */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || this.exit) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
