/**
 * Commands sent with RunCommand and what became of them on each instance, computed lazily from
 * the simulated clock like agent state.
 *
 * A command reaches an instance only if its agent process is running when the command is sent
 * (an agent that stopped a minute ago still reads "true" in DescribeCloudAssistantStatus, and a
 * command sent to it fails: that is the window a gate cannot close). Undelivered commands are
 * reported per facts §10: InvocationStatus `Aborted` ("sending the command to the instance
 * failed"), ErrorInfo "the aliyun service is not running on the instance". The ErrorCode
 * `ClientNotRunning`, and reporting the failure at once instead of after the 1-minute delivery
 * window, are UNVERIFIED.
 */
import type { SimInstance } from './fleet.js';

export type InstanceInvocationStatus = 'Running' | 'Success' | 'Aborted';

export interface InstanceRun {
  readonly instanceId: string;
  readonly delivered: boolean;
  readonly startAt: number;
  readonly finishAt: number;
  readonly exitCode: number;
  readonly output: string;
}

export interface InvocationRecord {
  readonly invokeId: string;
  readonly commandId: string;
  readonly region: string;
  readonly name: string;
  readonly type: string;
  /** Command content as plain text. */
  readonly content: string;
  readonly createdAt: number;
  readonly runs: readonly InstanceRun[];
}

export const NOT_RUNNING = {
  errorCode: 'ClientNotRunning', // UNVERIFIED (facts §10)
  errorInfo: 'the aliyun service is not running on the instance',
} as const;

export function runStatus(run: InstanceRun, t: number): InstanceInvocationStatus {
  if (!run.delivered) return 'Aborted';
  return t < run.finishAt ? 'Running' : 'Success';
}

/** The aggregate status of DescribeInvocations (PartialFailed when some succeeded and some failed). */
export function aggregateStatus(record: InvocationRecord, t: number): string {
  let running = 0;
  let ok = 0;
  let failed = 0;
  for (const run of record.runs) {
    const s = runStatus(run, t);
    if (s === 'Running') running++;
    else if (s === 'Success') ok++;
    else failed++;
  }
  if (running > 0) return 'Running';
  if (failed === 0) return 'Success';
  return ok === 0 ? 'Failed' : 'PartialFailed';
}

/** The legacy `InvokeStatus`: Running, Finished, Failed or PartialFailed. */
export function legacyInvokeStatus(record: InvocationRecord, t: number): string {
  const s = aggregateStatus(record, t);
  return s === 'Success' ? 'Finished' : s;
}

function fakeOutput(content: string): string {
  // `echo …` commands print their argument, so demos show something real-looking.
  const m = /^\s*echo\s+(['"]?)(.*)\1\s*$/.exec(content);
  return m ? `${m[2]}\n` : '';
}

export class InvocationStore {
  readonly records: InvocationRecord[] = [];
  readonly byId = new Map<string, InvocationRecord>();
  #counter = 0;

  constructor(readonly commandDurationMs: number) {}

  #id(prefix: string, region: string): string {
    const short = region.replace(/^[a-z]+-/, '').slice(0, 2);
    this.#counter++;
    return `${prefix}-${short}0${this.#counter.toString(36).padStart(8, '0')}sim`;
  }

  run(input: {
    readonly region: string;
    readonly name: string;
    readonly type: string;
    readonly content: string;
    readonly instances: readonly SimInstance[];
    readonly t: number;
  }): InvocationRecord {
    const { t } = input;
    const runs = input.instances.map((inst): InstanceRun => {
      const delivered = inst.running(t);
      const finishAt = t + this.commandDurationMs;
      if (delivered) {
        inst.invocations++;
        inst.lastInvokedAt = t;
        inst.taskEnds.push(finishAt);
        inst.touch();
      }
      return {
        instanceId: inst.id,
        delivered,
        startAt: t,
        finishAt: delivered ? finishAt : t,
        exitCode: 0,
        output: delivered ? fakeOutput(input.content) : '',
      };
    });
    const record: InvocationRecord = {
      invokeId: this.#id('t', input.region),
      commandId: this.#id('c', input.region),
      region: input.region,
      name: input.name,
      type: input.type,
      content: input.content,
      createdAt: t,
      runs,
    };
    this.records.push(record);
    this.byId.set(record.invokeId, record);
    return record;
  }
}
