/**
 * Commands sent with RunCommand and files sent with SendFile, and what became of them on each
 * instance, computed lazily from the simulated clock like agent state.
 *
 * Delivery window. A command (or file) reaches an instance when its agent process runs. Sent
 * while the agent is down, it stays `Pending`; if the agent comes up within `deliveryWindowMs`
 * (default 60 s) it is delivered then and runs; otherwise the run ends `Aborted` with ErrorCode
 * `ClientNotRunning` and ErrorInfo "the aliyun service is not running on the instance" when the
 * window closes, and its InvokeRecordStatus is `Failed`. Sources: `Aborted` means "the command
 * failed to be sent to the instance. To send a command to an instance, make sure that the
 * instance is in the Running state and the command can be sent to the instance within 1 minute"
 * (CS-SDK / TS-SDK DescribeInvocationResults docstrings); the ErrorCode and ErrorInfo are
 * confirmed by the same docstrings and the Troubleshoot page; `Failed` for a one-time run that
 * did not run is Docs2021 RunCommand. The length of the window (60 s) is UNVERIFIED: the
 * documented "within 1 minute" is read as the delivery window.
 *
 * An instance that is `Stopping` or `Stopped` when the command is sent fails at once with
 * ErrorCode `InstanceNotRunning`, "the instance is not running when create task" (documented
 * code and text; `Aborted` at once is UNVERIFIED). The other documented agent codes
 * (`ClientNotResponse`, `ClientIsUpgrading`, `ClientNeedUpgrade`, `DeliveryTimeout`) come only
 * from faults (`faults.agentErrors`, `InstanceSpec.agentFault`, `fleet.setAgentFault`), and from
 * SendFile to agents older than its documented minimum versions (`ClientNeedUpgrade`). They end
 * the run `Aborted` when it would have been delivered (`DeliveryTimeout`: when the window
 * closes); the status they come with is UNVERIFIED.
 *
 * Nothing here runs on a timer: each read asks the instance's agent schedule, whose past never
 * changes, when the run was delivered.
 */
import type { PendingDelivery, SimInstance } from './fleet/instance.js';
import type { AgentErrorCode } from './fleet/spec.js';
import { supportsVersion } from './fleet/versions.js';
import type { Prng } from './prng.js';

export type RunStatus = 'Pending' | 'Running' | 'Success' | 'Aborted';

/** ErrorCode → ErrorInfo, as documented (CS-SDK DescribeInvocationResults docstrings). */
export const AGENT_ERROR_INFO: Readonly<Record<string, string>> = {
  ClientNotRunning: 'the aliyun service is not running on the instance',
  ClientNotResponse: 'the aliyun service in the instance does not response',
  ClientIsUpgrading: 'the aliyun service in the instance is upgrading now',
  ClientNeedUpgrade: 'the aliyun service in the instance need upgrade',
  DeliveryTimeout: 'the command delivery has been timeout',
  InstanceNotRunning: 'the instance is not running when create task',
};

/** SendFile needs an agent later than these (SendFile page, TS-SDK docstring). */
const SEND_FILE_MIN_AGENT: Readonly<Record<string, string | undefined>> = {
  Linux: '1.0.2.569',
  Windows: '1.0.0.149',
  FreeBSD: undefined,
};

/** One instance's part of an invocation. */
export interface InstanceRun {
  readonly instanceId: string;
  readonly inst: SimInstance;
  readonly sentAt: number;
  /** The end of the delivery window. */
  readonly deadline: number;
  readonly durationMs: number;
  /** Fails at send time with this code (the instance was not running). */
  readonly refused: string | undefined;
  /** Fails on delivery with this agent error code (faults, or an agent too old for SendFile). */
  readonly fault: AgentErrorCode | undefined;
  readonly exitCode: number;
  readonly output: string;
}

/** What a run looks like at some simulated time. */
export interface RunView {
  readonly status: RunStatus;
  /** When the agent received it (NaN if it never did). */
  readonly deliveredAt: number;
  /** When it reached its final status (NaN while Pending or Running). */
  readonly endedAt: number;
  readonly errorCode: string;
  readonly errorInfo: string;
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

export interface FileRecord {
  readonly invokeId: string;
  readonly region: string;
  readonly name: string;
  readonly description: string;
  /** As sent, in `contentType`. */
  readonly content: string;
  readonly contentType: 'PlainText' | 'Base64';
  readonly targetDir: string;
  readonly fileMode: string;
  readonly fileOwner: string;
  readonly fileGroup: string;
  readonly overwrite: boolean;
  readonly timeoutSec: number;
  readonly createdAt: number;
  readonly runs: readonly InstanceRun[];
}

function failed(code: string, at: number, deliveredAt = Number.NaN): RunView {
  return {
    status: 'Aborted',
    deliveredAt,
    endedAt: at,
    errorCode: code,
    errorInfo: AGENT_ERROR_INFO[code] ?? '',
  };
}

/** The run as seen at simulated time `t`. */
export function viewRun(run: InstanceRun, t: number): RunView {
  if (run.refused !== undefined) return failed(run.refused, run.sentAt);
  const at = run.inst.deliveryTime(run.sentAt, Math.min(t, run.deadline));
  if (Number.isNaN(at) || run.fault === 'DeliveryTimeout') {
    if (t < run.deadline)
      return {
        status: 'Pending',
        deliveredAt: Number.NaN,
        endedAt: Number.NaN,
        errorCode: '',
        errorInfo: '',
      };
    return failed(run.fault === 'DeliveryTimeout' ? 'DeliveryTimeout' : 'ClientNotRunning', run.deadline);
  }
  if (run.fault !== undefined) return failed(run.fault, at);
  const end = at + run.durationMs;
  return t < end
    ? { status: 'Running', deliveredAt: at, endedAt: Number.NaN, errorCode: '', errorInfo: '' }
    : { status: 'Success', deliveredAt: at, endedAt: end, errorCode: '', errorInfo: '' };
}

/**
 * The aggregate status (DescribeInvocations `InvocationStatus`, DescribeSendFileResults): Pending
 * while any run is Pending (the order of Pending and Running is UNVERIFIED), then Running, else
 * Success, Failed or PartialFailed.
 */
export function aggregateStatus(runs: readonly InstanceRun[], t: number): string {
  let pending = 0;
  let running = 0;
  let ok = 0;
  let bad = 0;
  for (const run of runs) {
    const s = viewRun(run, t).status;
    if (s === 'Pending') pending++;
    else if (s === 'Running') running++;
    else if (s === 'Success') ok++;
    else bad++;
  }
  if (pending > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (bad === 0) return 'Success';
  return ok === 0 ? 'Failed' : 'PartialFailed';
}

/** The legacy `InvokeStatus`: Running, Finished, Failed or PartialFailed. */
export function legacyInvokeStatus(runs: readonly InstanceRun[], t: number): string {
  const s = aggregateStatus(runs, t);
  if (s === 'Pending') return 'Running';
  return s === 'Success' ? 'Finished' : s;
}

/** Per-instance `InvokeRecordStatus` (DescribeInvocationResults): Running, Finished or Failed. */
export function recordStatus(status: RunStatus): string {
  if (status === 'Pending' || status === 'Running') return 'Running';
  return status === 'Success' ? 'Finished' : 'Failed';
}

function fakeOutput(content: string): string {
  // `echo …` commands print their argument, so demos show something real-looking.
  const m = /^\s*echo\s+(['"]?)(.*)\1\s*$/.exec(content);
  return m ? `${m[2]}\n` : '';
}

/** Shares (0–1) of deliveries that fail with each agent error code; a seeded fault. */
export type AgentErrorShares = Readonly<Partial<Record<AgentErrorCode, number>>>;

export interface InvocationStoreOptions {
  readonly commandDurationMs: number;
  /** How long an undelivered command or file waits for the agent. */
  readonly deliveryWindowMs: number;
  /** Simulated time a file transfer takes once delivered. */
  readonly fileTransferMs: number;
  readonly agentErrors?: AgentErrorShares | undefined;
  readonly rng: Prng;
}

export class InvocationStore {
  readonly records: InvocationRecord[] = [];
  readonly byId = new Map<string, InvocationRecord>();
  readonly files: FileRecord[] = [];
  readonly commandDurationMs: number;
  readonly deliveryWindowMs: number;
  readonly #options: InvocationStoreOptions;
  readonly #shares: readonly (readonly [AgentErrorCode, number])[];
  #counter = 0;

  constructor(options: InvocationStoreOptions) {
    this.#options = options;
    this.commandDurationMs = options.commandDurationMs;
    this.deliveryWindowMs = options.deliveryWindowMs;
    this.#shares = Object.entries(options.agentErrors ?? {}).filter(([, p]) => (p ?? 0) > 0) as [
      AgentErrorCode,
      number,
    ][];
  }

  #id(prefix: string, region: string): string {
    const short = region.replace(/^[a-z]+-/, '').slice(0, 2);
    this.#counter++;
    return `${prefix}-${short}0${this.#counter.toString(36).padStart(8, '0')}sim`;
  }

  /** The fault a delivery to `inst` will meet, if any: the instance's own, else a seeded draw. */
  #fault(inst: SimInstance): AgentErrorCode | undefined {
    if (inst.agentFault !== undefined) return inst.agentFault;
    if (this.#shares.length === 0) return undefined;
    let x = this.#options.rng.next();
    for (const [code, p] of this.#shares) {
      x -= p;
      if (x < 0) return code;
    }
    return undefined;
  }

  #runs(
    instances: readonly SimInstance[],
    t: number,
    durationMs: number,
    output: string,
    extraFault: (inst: SimInstance) => AgentErrorCode | undefined,
    countsAsCommand: boolean,
  ): InstanceRun[] {
    return instances.map((inst): InstanceRun => {
      const status = inst.statusAt(t);
      const refused = status === 'Stopping' || status === 'Stopped' ? 'InstanceNotRunning' : undefined;
      const fault = refused === undefined ? (extraFault(inst) ?? this.#fault(inst)) : undefined;
      const deadline = t + this.deliveryWindowMs;
      if (countsAsCommand && refused === undefined && fault === undefined) {
        // Counted by DescribeCloudAssistantStatus once delivered (SimInstance.settle).
        const pending: PendingDelivery = { sentAt: t, deadline, durationMs };
        inst.pendingRuns.push(pending);
        inst.settle(t);
      }
      return {
        instanceId: inst.id,
        inst,
        sentAt: t,
        deadline,
        durationMs,
        refused,
        fault,
        exitCode: 0,
        output,
      };
    });
  }

  run(input: {
    readonly region: string;
    readonly name: string;
    readonly type: string;
    readonly content: string;
    readonly instances: readonly SimInstance[];
    readonly t: number;
  }): InvocationRecord {
    const record: InvocationRecord = {
      invokeId: this.#id('t', input.region),
      commandId: this.#id('c', input.region),
      region: input.region,
      name: input.name,
      type: input.type,
      content: input.content,
      createdAt: input.t,
      runs: this.#runs(
        input.instances,
        input.t,
        this.commandDurationMs,
        fakeOutput(input.content),
        () => undefined,
        true,
      ),
    };
    this.records.push(record);
    this.byId.set(record.invokeId, record);
    return record;
  }

  sendFile(
    input: Omit<FileRecord, 'invokeId' | 'runs' | 'createdAt'> & {
      readonly instances: readonly SimInstance[];
      readonly t: number;
    },
  ): FileRecord {
    const { instances, t, ...rest } = input;
    const record: FileRecord = {
      ...rest,
      invokeId: this.#id('f', input.region),
      createdAt: t,
      runs: this.#runs(
        instances,
        t,
        this.#options.fileTransferMs,
        '',
        (inst) => {
          const min = SEND_FILE_MIN_AGENT[inst.osType];
          return min !== undefined && !supportsVersion(inst.version, min, true)
            ? 'ClientNeedUpgrade'
            : undefined;
        },
        false,
      ),
    };
    this.files.push(record);
    return record;
  }
}
