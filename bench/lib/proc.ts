/**
 * Child processes for the benchmarks: each client and the simulator run in their own process so
 * that `process.cpuUsage()` and `maxRSS` measure one thing. Messages are plain JSON over IPC.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const distDir = dirname(dirname(fileURLToPath(import.meta.url)));

/** The workspace root (the directory holding pnpm-workspace.yaml). */
export function repoRoot(): string {
  let dir = distDir;
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`bench: cannot find the workspace root above ${distDir}`);
}

export interface Message {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface Worker {
  readonly child: ChildProcess;
  /** Sends `msg` and resolves with the next message of type `replyType`. */
  request<T extends Message>(msg: Message, replyType: string, timeoutMs?: number): Promise<T>;
  /** Resolves with the next message of `type`. */
  next<T extends Message>(type: string, timeoutMs?: number): Promise<T>;
  /** Asks the worker to stop, then kills it if it has not exited within 5 s. */
  stop(): Promise<void>;
}

export interface ForkOptions {
  /** Extra node flags, e.g. `--cpu-prof`. */
  readonly execArgv?: readonly string[];
}

/** Forks `workers/<name>.js` from the compiled bench. */
export function startWorker(name: string, options: ForkOptions = {}): Worker {
  const child = fork(join(distDir, 'workers', `${name}.js`), [], {
    execArgv: [...(options.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: Message[] = [];
  const waiting: { type: string; resolve: (m: Message) => void; reject: (e: Error) => void }[] = [];
  let exited: Error | undefined;
  child.on('message', (m: Message) => {
    if (m.type === 'error') {
      const e = new Error(`bench worker ${name}: ${String(m['message'])}`);
      for (const w of waiting.splice(0)) w.reject(e);
      exited = e;
      return;
    }
    const i = waiting.findIndex((w) => w.type === m.type);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(m);
    else queue.push(m);
  });
  child.on('exit', (code, signal) => {
    exited ??= new Error(`bench worker ${name} exited (code ${code}, signal ${signal})`);
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  const next = <T extends Message>(type: string, timeoutMs = 300_000): Promise<T> => {
    const i = queue.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0] as T);
    if (exited) return Promise.reject(exited);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const j = waiting.indexOf(entry);
        if (j >= 0) waiting.splice(j, 1);
        reject(new Error(`bench worker ${name}: no "${type}" message within ${timeoutMs} ms`));
      }, timeoutMs);
      const entry = {
        type,
        resolve: (m: Message) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      waiting.push(entry);
    });
  };
  return {
    child,
    next,
    request(msg, replyType, timeoutMs) {
      const reply = next(replyType, timeoutMs);
      child.send(msg);
      return reply as never;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** In a worker: handle messages, report failures to the parent, and exit when the parent goes away. */
export function serve(handler: (msg: Message, reply: (m: Message) => void) => Promise<void> | void): void {
  const reply = (m: Message) => process.send?.(m);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (msg: Message) => {
    if (msg.type === 'stop') {
      process.disconnect?.();
      return;
    }
    Promise.resolve()
      .then(() => handler(msg, reply))
      .catch((e: unknown) => {
        reply({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      });
  });
}

/** CPU time used by this process so far, in ms (user + system). */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
