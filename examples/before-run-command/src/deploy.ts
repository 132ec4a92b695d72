import { type Credentials, createEcsClient } from '@cloud-assistant-gate/core';
import { type ReadinessReport, waitForCloudAssistant } from '@cloud-assistant-gate/waiter';

export interface DeployOptions {
  readonly region: string;
  /** Leave out for the real ECS endpoint of the region. */
  readonly endpoint?: string;
  /** Leave out to use the default chain (environment, ~/.aliyun/config.json, RAM role). */
  readonly credentials?: Credentials;
  readonly instanceIds: readonly string[];
  readonly command: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The whole pattern: wait until Cloud Assistant is online on every instance, then RunCommand.
 * A timeout rejects with `CloudAssistantTimeoutError`, whose `pending` says which instances
 * were not ready and why, before any command is sent.
 */
export async function deploy(
  options: DeployOptions,
): Promise<{ report: ReadinessReport; invokeIds: string[] }> {
  const client = createEcsClient({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
  try {
    const report = await waitForCloudAssistant(options.instanceIds, {
      client,
      timeoutMs: options.timeoutMs ?? 10 * 60_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const invokeIds: string[] = [];
    // RunCommand takes at most 100 instances per call.
    for (let i = 0; i < report.ready.length; i += 100) {
      const result = await client.call(
        'RunCommand',
        {
          Type: 'RunShellScript',
          CommandContent: options.command,
          InstanceId: report.ready.slice(i, i + 100),
        },
        options.signal === undefined ? {} : { signal: options.signal },
      );
      invokeIds.push(String(result['InvokeId']));
    }
    return { report, invokeIds };
  } finally {
    await client.close();
  }
}
