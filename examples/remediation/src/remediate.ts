import {
  type CloudAssistantTimeoutError,
  isCloudAssistantTimeoutError,
  isQuorumUnreachableError,
  type RemediationRecord,
  type WaitForCloudAssistantOptions,
  waitForCloudAssistant,
} from '@cloud-assistant-gate/waiter';

export interface GateWithRemediationOptions {
  /** Where the instances are: region, endpoint and credentials (or `client`/`clients`). */
  readonly connection: Pick<
    WaitForCloudAssistantOptions,
    'region' | 'regions' | 'endpoint' | 'credentials' | 'client' | 'clients'
  >;
  /** Pauses between polling rounds (remediation acts at the end of a round). @default the waiter's 2–20 s */
  readonly timing?: Pick<WaitForCloudAssistantOptions, 'minDelayMs' | 'maxDelayMs'>;
  readonly instanceIds: readonly string[];
  /** Consent to REBOOT running instances whose agent is missing, so that the installed agent starts. */
  readonly allowReboot: boolean;
  /** How long an instance must be seen Running with no agent before it is remediated. */
  readonly afterMs: number;
  readonly timeoutMs: number;
  /** Ready instances needed; the rest may fail (e.g. an image the API cannot install on). */
  readonly minReady?: number | 'all';
  /** Called as remediation acts (installs, reboots, refusals). */
  readonly onRemediation?: (record: RemediationRecord) => void;
}

export interface GateResult {
  readonly ready: readonly string[];
  readonly notReady: readonly { readonly instanceId: string; readonly reason: string }[];
  /** What remediation did to each instance it acted on. */
  readonly remediations: readonly RemediationRecord[];
  readonly elapsedMs: number;
}

/**
 * The gate before a deployment to instances from a custom image that may lack Cloud Assistant:
 * wait for the agents, and where an instance has been Running for `afterMs` with no agent ever
 * seen, install it (InstallCloudAssistant) and, only with `allowReboot`, reboot the instance so the
 * agent starts (as the OOS template `ACS::ECS::InstallCloudAssistant` does). A timeout or an
 * unreachable quorum is returned, not thrown, with every instance's reason.
 */
export async function gateWithRemediation(options: GateWithRemediationOptions): Promise<GateResult> {
  const seen = new Map<string, RemediationRecord>();
  try {
    const report = await waitForCloudAssistant(options.instanceIds, {
      ...options.connection,
      ...options.timing,
      timeoutMs: options.timeoutMs,
      ...(options.minReady === undefined ? {} : { minReady: options.minReady }),
      remediate: { install: true, reboot: options.allowReboot, afterMs: options.afterMs },
      onProgress: (p) => {
        for (const r of p.remediated) {
          seen.set(r.instanceId, r);
          options.onRemediation?.(r);
        }
      },
    });
    return {
      ready: report.ready,
      notReady: report.instances.flatMap((i) =>
        i.ready ? [] : [{ instanceId: i.instanceId, reason: i.reason ?? '' }],
      ),
      remediations: report.remediations,
      elapsedMs: report.elapsedMs,
    };
  } catch (error) {
    if (!isCloudAssistantTimeoutError(error) && !isQuorumUnreachableError(error)) throw error;
    const e = error as CloudAssistantTimeoutError;
    const pending = isQuorumUnreachableError(error) ? [...error.unreachable, ...error.pending] : e.pending;
    return {
      ready: e.ready,
      notReady: pending.map((p) => ({ instanceId: p.instanceId, reason: p.reason })),
      remediations: [...seen.values()],
      elapsedMs: e.elapsedMs,
    };
  }
}
