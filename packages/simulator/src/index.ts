export type { NotFoundMode } from './actions/context.js';
export type { SimulatedClock, SimulatedClockOptions } from './clock.js';
export { createSimulatedClock } from './clock.js';
export type { Distribution } from './distribution.js';
export { parseDistribution } from './distribution.js';
export type { FaultOptions, FaultRule } from './faults.js';
export type {
  AgentErrorCode,
  AgentState,
  Fleet,
  FleetCounts,
  FleetSpec,
  InstanceSpec,
  InstanceStatus,
  LifecycleSpec,
  OnlineInterval,
  OsType,
  SimulatedStatus,
} from './fleet.js';
export { supportsSessionManager } from './fleet.js';
export type { QuotaOptions, QuotaUsageFilter, QuotaWindowUsage } from './quota.js';
export { DEFAULT_QUOTA_WINDOW_MS } from './quota.js';
export type { EcsSimulator, ReportTimes, Scenario, SimulatorOptions } from './simulator.js';
export { DEFAULT_CREDENTIALS, startEcsSimulator } from './simulator.js';
export type { SimulatorStats, StatsEntry, StatsFilter } from './stats.js';
export type { SimulatorCredential } from './verify.js';
export { DEFAULT_ACCOUNT_ID } from './verify.js';
