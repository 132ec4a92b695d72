export { MAX_BATCH_SIZE, toBatches } from './batch.js';
export { classifyError, type ErrorClass, NOT_FOUND_API_CODES } from './classify.js';
export type {
  InvalidInstanceId,
  PendingInstance,
  PendingReason,
  UnreachableRegion,
  WaitCounters,
} from './errors.js';
export {
  CloudAssistantTimeoutError,
  InvalidInstanceIdError,
  isCloudAssistantTimeoutError,
  isInvalidInstanceIdError,
  isInvalidStatusReadingError,
  isQuorumUnreachableError,
  isReadinessPredicateError,
  isRemediationError,
  isSourceUnreachableError,
  isStatusSourceError,
  isWaiterError,
  QuorumUnreachableError,
  ReadinessPredicateError,
  RemediationError,
  SourceUnreachableError,
  StatusSourceError,
  WaiterError,
} from './errors.js';
export { INSTANCE_ID_PATTERN, parseInstanceIds } from './ids.js';
export { lifecycleReason } from './instance-check.js';
export type { Percentage, StatusSourceProvider, WaitForCloudAssistantOptions } from './options.js';
export { defaults } from './options.js';
export type { ReadinessOptions } from './readiness.js';
export { compareVersions } from './readiness.js';
export { InvalidStatusReadingError } from './readings.js';
export { REGION_ENV_VAR } from './region-clients.js';
export type { RemediateOptions, RemediationOutcome, RemediationRecord } from './remediate.js';
export { dryRunAction, installIsolating } from './remediate.js';
export type { InstanceReadiness, ReadinessProgress, ReadinessReport } from './report.js';
export { backoffDelay, planNextPoll } from './schedule.js';
export type { InstanceRef, InstanceTarget } from './targets.js';
export { parseInstanceTargets, REGION_ID_PATTERN } from './targets.js';
export { waitForCloudAssistant, watchCloudAssistant } from './wait.js';
