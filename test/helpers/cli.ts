/**
 * Runs the CLI in-process (`runCli` with injected streams) or as the built binary, with an
 * environment that can never reach beyond loopback: no real HOME, no instance metadata service.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../packages/waiter/src/cli/main.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'packages/waiter/dist/cli/bin.js');

/** A fresh empty HOME, so no developer credentials file is ever read. */
export function emptyHome(): string {
  return mkdtempSync(join(tmpdir(), 'cag-home-'));
}

/** Environment for a CLI run: the given variables on top of a sealed base. */
export function sealedEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: emptyHome(),
    PATH: process.env['PATH'] ?? '',
    NO_COLOR: '1',
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
    ...extra,
  };
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runInProcess(
  argv: readonly string[],
  env: Record<string, string>,
  extra: { stdin?: AsyncIterable<Uint8Array | string>; signal?: AbortSignal } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv,
    env,
    stdout: {
      write: (t: string) => {
        stdout += t;
      },
    },
    stderr: {
      write: (t: string) => {
        stderr += t;
      },
    },
    isTTY: false,
    ...(extra.stdin === undefined ? {} : { stdin: extra.stdin }),
    ...(extra.signal === undefined ? {} : { signal: extra.signal }),
  });
  return { code, stdout, stderr };
}

/** Runs the built binary; resolves when it exits by itself (rejects after `limitMs`, killing it). */
export function runBinary(
  argv: readonly string[],
  env: Record<string, string>,
  options: { input?: string; limitMs?: number; nodeArgs?: readonly string[] } = {},
): Promise<CliRun & { readonly ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...argv], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const limit = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI did not exit within ${options.limitMs ?? 20_000} ms; stderr: ${stderr}`));
    }, options.limitMs ?? 20_000);
    child.on('error', (e) => {
      clearTimeout(limit);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}
