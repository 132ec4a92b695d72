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
export type { ResolvedEndpoint } from './endpoints.js';
export { isLoopbackHost, KNOWN_REGIONS, regionHost, resolveEndpoint } from './endpoints.js';
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
  isRetryableApiError,
  isThrottlingError,
  ResponseTooLargeError,
  ResponseValidationError,
  ThrottlingError,
} from './errors.js';
export { MAX_INSTALL_IDS, MAX_LIFECYCLE_IDS } from './lifecycle.js';
export type { OptionError, OptionErrorCode, OptionNames } from './option-errors.js';
export { isOptionError, OptionRangeError, OptionTypeError, UnknownOptionError } from './option-errors.js';
export { allKeys, checkOptionKeys, closestMatch, editDistance } from './options.js';
export { jsonLine, printable, printableOrUndefined } from './printable.js';
export type { BudgetClock, RateLimitOptions } from './rate-limit.js';
export { rateLimitDefaults } from './rate-limit.js';
export type { RateLimitedSourceOptions } from './rate-limited-source.js';
export { isRateLimitedSource, rateLimitedSource } from './rate-limited-source.js';
export type { RetryOptions } from './retry.js';
export { isReadOnlyAction, isUnprocessedError } from './retry.js';
export {
  describeCloudAssistantStatusResponseSchema,
  instanceCloudAssistantStatusSchema,
} from './schemas.js';
export type {
  BuildV1ParamsInput,
  BuildV3RequestInput,
  CanonicalRequestV3Input,
  Credentials,
  SignedV1,
  SignedV3,
  SignV3Input,
} from './sign.js';
export {
  buildV1Params,
  buildV3Headers,
  canonicalQueryString,
  canonicalRequestV3,
  EMPTY_BODY_SHA256,
  encodeQuery,
  formatAcsDate,
  isV3SignedHeader,
  percentEncode,
  sha256Hex,
  signatureV3,
  signV1,
  signV3,
  stringToSignV3,
  V3_ALGORITHM,
} from './sign.js';
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
