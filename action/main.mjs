// The GitHub Action in action.yml: runs the single-file CLI (bundle/cloud-assistant-gate.mjs, no
// node_modules needed) with the step's inputs, writes its outputs to $GITHUB_OUTPUT, and fails
// the step with the CLI's exit code. The runner calls it as `node action/main.mjs` with each input
// in INPUT_<NAME> (upper case, hyphens kept). Credentials come from the step's environment
// (ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET, or the runner's ECS RAM role).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../bundle/cloud-assistant-gate.mjs', import.meta.url));

/** An input as the runner passes it (as @actions/core reads it), trimmed; '' when not given. */
const input = (name) => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();

/** Writes one output in the runner's multi-line form, so no value can forge another output. */
const setOutput = (name, value) => {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) {
    process.stdout.write(`${name}=${value}\n`);
    return;
  }
  const delimiter = `ghadelimiter_${randomUUID()}`;
  appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
};

/** A workflow-command-safe message for `::error::` (the runner's escaping of %, CR and LF). */
const escapeData = (text) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

const args = ['wait', '--json'];
for (const [flag, name] of [
  ['--region', 'region'],
  ['--endpoint', 'endpoint'],
  ['--timeout', 'timeout'],
  ['--min-ready', 'min-ready'],
]) {
  const value = input(name);
  if (value !== '') args.push(`${flag}=${value}`);
}
for (const file of input('ids-file').split('\n'))
  if (file.trim() !== '') args.push(`--ids-file=${file.trim()}`);
const ids = input('instance-ids');
// One argument: the CLI splits it on whitespace and reads a JSON list, and nothing in it can be
// taken for a flag (a leading `-` is refused as not an instance ID).
if (ids !== '') args.push('--', ids);

const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
let stdout = '';
child.stdout.setEncoding('utf8').on('data', (chunk) => {
  stdout += chunk;
});
child.on('close', (code, signal) => {
  const exitCode = code ?? (signal === null ? 1 : 128);
  let report;
  try {
    report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
  } catch {
    report = undefined;
  }
  if (report === undefined) {
    process.stdout.write(
      `::error::${escapeData(`cloud-assistant-gate printed no report (exit ${exitCode}).`)}\n`,
    );
    process.exitCode = exitCode === 0 ? 1 : exitCode;
    return;
  }
  setOutput('ready', JSON.stringify(report.ready ?? []));
  setOutput('not-ready', JSON.stringify(report.notReady ?? []));
  setOutput('report', JSON.stringify(report));
  if (exitCode !== 0) {
    const message =
      report.error?.message ?? `cloud-assistant-gate ended with ${report.outcome} (exit ${exitCode}).`;
    process.stdout.write(`::error title=cloud-assistant-gate::${escapeData(message)}\n`);
  }
  process.exitCode = exitCode;
});
