/**
 * Cloud Assistant agent versions: what an instance runs by default or when it is "old", and the
 * minimum versions features need (Session Manager here; SendFile's in invocations.ts).
 */
import type { OsType } from './spec.js';

/** @default of `InstanceSpec.agentVersion`. */
export const DEFAULT_VERSION: Readonly<Record<OsType, string>> = {
  Linux: '2.2.3.317',
  Windows: '2.1.3.317',
  FreeBSD: '1.0.0.60',
};

/** The version of `FleetSpec.oldAgentShare`'s agents: too old for Session Manager. */
export const OLD_VERSION: Readonly<Record<OsType, string>> = {
  Linux: '2.2.0.106',
  Windows: '2.1.0.106',
  FreeBSD: '1.0.0.20',
};

const SESSION_MANAGER_MIN: Readonly<Record<OsType, string | undefined>> = {
  Linux: '2.2.3.189',
  Windows: '2.1.3.189',
  FreeBSD: undefined,
};

function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = Number(pa[i] ?? 0) - Number(pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether agent `version` is at least `min` (with `strict`, later than it). */
export function supportsVersion(version: string, min: string, strict = false): boolean {
  if (version === '') return false;
  const d = compareVersions(version, min);
  return strict ? d > 0 : d >= 0;
}

/** `SupportSessionManager` of an agent that runs `version` on `osType`. */
export function supportsSessionManager(osType: OsType, version: string): boolean {
  const min = SESSION_MANAGER_MIN[osType];
  return min !== undefined && version !== '' && compareVersions(version, min) >= 0;
}
