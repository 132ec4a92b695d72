// The public API: the wait, its options, what it reports, its errors, and the batch helper a
// caller needs for RunCommand. Everything else (schedule, classification, bisection, ID
// parsing, remediation internals) is the engine's and may change; tests import it from src/.
export { MAX_BATCH_SIZE, toBatches } from './batch.js';
export type {
  InvalidInstanceId,
  NamedMessage,
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
export type { Percentage, StatusSourceProvider, WaitForCloudAssistantOptions } from './options.js';
export { defaults } from './options.js';
export type { ReadinessOptions } from './readiness.js';
export { InvalidStatusReadingError } from './readings.js';
export type { RemediateOptions, RemediationOutcome, RemediationRecord } from './remediate.js';
export type { InstanceReadiness, ReadinessProgress, ReadinessReport } from './report.js';
export type { InstanceRef, InstanceTarget } from './targets.js';
export { waitForCloudAssistant, watchCloudAssistant } from './wait.js';
