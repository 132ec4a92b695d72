import { EXIT_CODE_HELP, OPTIONS, type OptionSpec } from './options.js';

const GROUPS: readonly OptionSpec['group'][] = [
  'Connection',
  'Timing',
  'Readiness',
  'Remediation',
  'Input and output',
  'Other',
];

const flagLabel = (o: OptionSpec): string =>
  `${o.short === undefined ? '    ' : `-${o.short}, `}--${o.name}${o.value === undefined ? '' : ` ${o.value}`}`;

/**
 * The `--help` text, generated from the option table so it always lists every flag with its
 * default and environment variable, and every exit code. Snapshot-tested.
 */
export const helpText = (): string => {
  const width = Math.max(...OPTIONS.map((o) => flagLabel(o).length)) + 2;
  const lines: string[] = [
    'cloud-assistant-gate: wait until the Alibaba Cloud Assistant agent is online on ECS instances,',
    'so that RunCommand and SendFile reach them.',
    '',
    'Usage:',
    '  cloud-assistant-gate wait [options] [ID...]     wait until the instances are ready',
    '  cloud-assistant-gate status [options] [ID...]   show each instance’s agent once (no IDs: all in the regions)',
    '',
    'IDs (i-… or mi-…, or region:id) come from arguments, --ids-file FILE, or stdin with `-`: separated',
    'by spaces or new lines, `#` starts a comment. Durations: 500ms, 90s, 10m, 1h30m; a bare number is seconds.',
    'Flags beat environment variables.',
  ];
  for (const group of GROUPS) {
    lines.push('', `${group}:`);
    for (const o of OPTIONS.filter((x) => x.group === group)) {
      lines.push(`  ${flagLabel(o).padEnd(width)}${o.description}`);
      const extra = [
        o.default === undefined ? undefined : `default: ${o.default}`,
        o.env === undefined ? undefined : `env: ${o.env}`,
      ].filter((x) => x !== undefined);
      if (extra.length > 0) lines.push(`  ${''.padEnd(width)}[${extra.join('; ')}]`);
    }
  }
  lines.push(
    '',
    'Credentials (never printed): ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    '(/ ALIBABA_CLOUD_SECURITY_TOKEN), then ~/.aliyun/config.json, ~/.alibabacloud/credentials,',
    'then the ECS instance RAM role.',
    '',
    'Output: on a terminal, a live progress bar (fitted to the width; the last API error shows in it)',
    'and, at the end, a table of stragglers with their reasons; otherwise one plain line per change.',
    'NO_COLOR turns colours off. With --json, stdout holds only the report. A closed stdout (| head)',
    'ends the run quietly: its own exit code if it had finished, else 141.',
    '',
    'Several regions: bare IDs are looked for in the --region order (about one extra call per ID and',
    'region it is not in); region:id needs no search. A failed wait looks up the stragglers’',
    'instance status (DescribeInstanceStatus) to say instance-stopped, no-heartbeat-yet, not-installed, ….',
    '',
    'Remediation is off by default. --install-missing calls InstallCloudAssistant on Running instances',
    'whose agent never reported for --remediate-after; the agent starts only after a reboot, which',
    'happens only with --allow-reboot: it REBOOTS those running instances. An agent ever seen is never',
    'rebooted. Try --dry-run first.',
    '',
    'Exit codes:',
    ...EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padStart(3)}  ${text}`),
    '',
    'Examples:',
    '  cloud-assistant-gate wait --region cn-hangzhou i-bp1abc i-bp1def',
    '  cloud-assistant-gate wait --timeout 15m --min-ready 95% --ids-file ids.txt --json > report.json',
    '  terraform output -raw instance_ids | cloud-assistant-gate wait --region cn-beijing -',
    '  cloud-assistant-gate wait --region cn-hangzhou,cn-beijing i-bp1abc cn-beijing:i-2zedef',
    '  cloud-assistant-gate wait --install-missing --allow-reboot --dry-run --ids-file ids.txt',
    '  cloud-assistant-gate status --region cn-hangzhou i-bp1abc',
    '',
  );
  return lines.join('\n');
};
