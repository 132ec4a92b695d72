export { MAX_BATCH_SIZE, toBatches } from './batch.js';
export { classifyError, type ErrorClass, NOT_FOUND_API_CODES } from './classify.js';
export type { InvalidInstanceId, PendingInstance, PendingReason, WaitCounters } from './errors.js';
export {
  CloudAssistantTimeoutError,
  InvalidInstanceIdError,
  isCloudAssistantTimeoutError,
  isInvalidInstanceIdError,
  isInvalidStatusReadingError,
  isQuorumUnreachableError,
  isReadinessPredicateError,
  isSourceUnreachableError,
  isStatusSourceError,
  isWaiterError,
  QuorumUnreachableError,
  ReadinessPredicateError,
  SourceUnreachableError,
  StatusSourceError,
  WaiterError,
} from './errors.js';
export { INSTANCE_ID_PATTERN, parseInstanceIds } from './ids.js';
export type { Percentage, StatusSourceProvider, WaitForCloudAssistantOptions } from './options.js';
export { defaults, REGION_ENV_VAR } from './options.js';
export type { ReadinessOptions } from './readiness.js';
export { compareVersions } from './readiness.js';
export { InvalidStatusReadingError } from './readings.js';
export type { InstanceReadiness, ReadinessProgress, ReadinessReport } from './report.js';
export { backoffDelay, planNextPoll } from './schedule.js';
export { waitForCloudAssistant, watchCloudAssistant } from './wait.js';
