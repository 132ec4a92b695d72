import type { InstanceStatus } from '@cloud-assistant-gate/core';
import type { PendingReason } from './errors.js';

/**
 * What "ready" means beyond `CloudAssistantStatus: true`. Every condition given must hold.
 *
 * @example
 * { requireSessionManager: true, minAgentVersion: '2.2.3', osType: 'Linux', consecutive: 2 }
 */
export interface ReadinessOptions {
  /**
   * Require `supportSessionManager === true` (needed for Session Manager, not for RunCommand).
   * @default false
   */
  readonly requireSessionManager?: boolean | undefined;
  /**
   * Lowest acceptable agent version, compared numerically part by part (`2.10.0` > `2.9.9`).
   * @default undefined (any version)
   */
  readonly minAgentVersion?: string | undefined;
  /**
   * Maximum age of `lastHeartbeatTime` against the `now` seam. Agents beat every 55–65 s and ECS
   * reports them online for 2 minutes after the last beat, so values below ~70 000 ms reject
   * healthy agents. The heartbeat must be on the same clock as `now`.
   * @default undefined (not checked)
   */
  readonly maxHeartbeatAgeMs?: number | undefined;
  /**
   * Required OS type (`Linux`, `Windows`, `FreeBSD`), compared case-insensitively.
   * @default undefined (any)
   */
  readonly osType?: string | undefined;
  /**
   * Number of consecutive ready readings (one per round) before an instance counts as ready,
   * like Terraform's `ContinuousTargetOccurence`: guards against an agent that flaps while the
   * instance finishes booting. Each extra reading costs one more round for that instance.
   * @default 1
   */
  readonly consecutive?: number | undefined;
  /**
   * Custom check run after the others: `true` means ready; `false` or a string means not ready,
   * and a string is reported as the unmet reason (`readiness-unmet: <string>`).
   * @default undefined
   */
  readonly predicate?: ((status: InstanceStatus) => boolean | string) | undefined;
}

export type ReadingVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: PendingReason };

const VERSION_PATTERN = /^\d+(?:\.\d+)*$/;

/** True when `version` is dotted numeric (`2.2.3.189`). */
export function isDottedVersion(version: string): boolean {
  return VERSION_PATTERN.test(version);
}

/** Numeric, part-by-part comparison of dotted versions; missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Judges one reading. `everOnline` distinguishes an agent that has not reported yet (empty
 * version, never seen online in this wait: `no-heartbeat-yet`) from one that went offline.
 *
 * Why not `not-installed`: DescribeCloudAssistantStatus says the same (offline, no version) for
 * an instance that is still booting and for one whose image has no agent, so nothing here proves
 * the agent is missing. Telling them apart needs the instance's own state (Running for long
 * enough), which this reading does not carry.
 */
export function evaluateReading(
  status: InstanceStatus,
  options: ReadinessOptions,
  now: number,
  everOnline: boolean,
): ReadingVerdict {
  // Only a reading that says online is online (the source's readings are checked, but this
  // function is the last word: nothing but `true` counts).
  if (status.cloudAssistantStatus !== true) {
    const neverReported = !everOnline && (status.cloudAssistantVersion ?? '') === '';
    return { ok: false, reason: neverReported ? 'no-heartbeat-yet' : 'agent-offline' };
  }
  if (options.requireSessionManager === true && status.supportSessionManager !== true) {
    return { ok: false, reason: 'readiness-unmet: session manager not supported' };
  }
  if (options.minAgentVersion !== undefined) {
    const version = status.cloudAssistantVersion ?? '';
    if (!isDottedVersion(version) || compareVersions(version, options.minAgentVersion) < 0) {
      return {
        ok: false,
        reason: `readiness-unmet: agent version ${version === '' ? 'unknown' : version} < ${options.minAgentVersion}`,
      };
    }
  }
  if (options.osType !== undefined && (status.osType ?? '').toLowerCase() !== options.osType.toLowerCase()) {
    return {
      ok: false,
      reason: `readiness-unmet: OS ${status.osType ?? 'unknown'} is not ${options.osType}`,
    };
  }
  if (options.maxHeartbeatAgeMs !== undefined) {
    const beat = status.lastHeartbeatTime === undefined ? Number.NaN : Date.parse(status.lastHeartbeatTime);
    if (Number.isNaN(beat)) return { ok: false, reason: 'readiness-unmet: no heartbeat time' };
    const age = now - beat;
    if (age > options.maxHeartbeatAgeMs) {
      return { ok: false, reason: `readiness-unmet: heartbeat ${Math.round(age / 1000)} s old` };
    }
  }
  if (options.predicate !== undefined) {
    const verdict = options.predicate(status);
    if (verdict !== true) {
      return {
        ok: false,
        reason: `readiness-unmet: ${typeof verdict === 'string' && verdict !== '' ? verdict : 'predicate returned false'}`,
      };
    }
  }
  return { ok: true };
}
