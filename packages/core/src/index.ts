export { createEcsClient } from './client.js';
export type {
  CallOptions,
  DescribeCloudAssistantStatusRequest,
  DescribeCloudAssistantStatusResult,
  DescribeInstanceStatusRequest,
  DescribeInstanceStatusResult,
  EcsClient,
  EcsClientOptions,
  ListCloudAssistantStatusRequest,
  RpcParams,
} from './client-types.js';
export { ECS_API_VERSION } from './client-types.js';
export type { CredentialsProvider, CredentialsSource, DefaultCredentialsOptions } from './credentials.js';
export { defaultCredentialsProvider, resolveDefaultCredentials } from './credentials.js';
export { KNOWN_REGIONS } from './endpoints.js';
export type { ErrorCategory } from './error-category.js';
export { categoryOf } from './error-category.js';
export type { EcsApiErrorFields, EcsErrorCode } from './errors.js';
export {
  ClientClosedError,
  CredentialsError,
  EcsApiError,
  EcsError,
  EcsNetworkError,
  EcsTimeoutError,
  isClientClosedError,
  isCredentialsError,
  isEcsApiError,
  isEcsError,
  isEcsNetworkError,
  isEcsTimeoutError,
  isResponseTooLargeError,
  isResponseValidationError,
  isThrottlingError,
  ResponseTooLargeError,
  ResponseValidationError,
  ThrottlingError,
} from './errors.js';
// The option checker's helpers are the `./options` entry point (options.ts); its errors are here,
// since createEcsClient throws them.
export type { OptionError, OptionErrorCode, OptionNames } from './option-errors.js';
export { isOptionError, OptionRangeError, OptionTypeError, UnknownOptionError } from './option-errors.js';
export { jsonLine, printable, printableOrUndefined } from './printable.js';
export type { BudgetClock, RateLimitOptions } from './rate-limit.js';
export { rateLimitDefaults } from './rate-limit.js';
export type { RateLimitedSourceOptions } from './rate-limited-source.js';
export { isRateLimitedSource, rateLimitedSource } from './rate-limited-source.js';
export type { RetryOptions } from './retry.js';
export { isReadOnlyAction, isUnprocessedError } from './retry.js';
// Signing is the `./signing` entry point (signing.ts); only the credentials' shape is here.
export type { Credentials } from './sign.js';
export type {
  AgentInstaller,
  AttemptEvent,
  EcsInstanceStatus,
  InstanceRebooter,
  InstanceStatus,
  InstanceStatusLookup,
  RebootResult,
  StatusSource,
} from './types.js';
