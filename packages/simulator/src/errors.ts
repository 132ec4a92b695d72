/**
 * API errors as ECS returns them: an HTTP status and a body `{RequestId, HostId, Code, Message,
 * Recommend}` in JSON, or `<Error>…</Error>` in XML (facts §2.1; see xml.ts). Statuses follow
 * facts §2.2, the DescribeCloudAssistantStatus error table of 2024 (ecs-fidelity §2); those
 * marked UNVERIFIED are best guesses.
 */
import { randomUUID } from 'node:crypto';
import { errorXml } from './xml.js';

/** An error the simulator answers with instead of a result. */
export class SimulatorApiError extends Error {
  override readonly name = 'SimulatorApiError';
  readonly code: string;
  readonly statusCode: number;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.code = code;
    this.statusCode = statusCode;
  }
}

/** Request IDs look like ECS's: an upper-case UUID. */
export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

/** The error body: JSON, or the documented `<Error>` XML when the request asked for XML. */
export function errorBody(err: SimulatorApiError, requestId: string, hostId: string, xml = false): string {
  const fields = {
    RequestId: requestId,
    HostId: hostId,
    Code: err.code,
    Message: err.message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(err.code)}&product=Ecs&requestId=${requestId}`,
  };
  return xml ? errorXml(fields) : JSON.stringify(fields);
}

const e = (status: number, code: string, message: string) => new SimulatorApiError(status, code, message);

/** Constructors for every error the simulator sends, so codes and statuses live in one place. */
export const apiErrors = {
  incompleteSignature: (detail: string) =>
    e(
      400,
      'IncompleteSignature',
      `The request signature does not conform to Alibaba Cloud standards. ${detail}`,
    ),
  signatureDoesNotMatch: (serverStringToSign: string) =>
    e(
      400,
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server string to sign is:${serverStringToSign}`,
    ),
  // ECS's own table says 400; the POP gateway table says 404 (facts §2.2). We follow ECS.
  accessKeyNotFound: () => e(400, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.'),
  nonceUsed: () => e(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.'),
  timestampExpired: (value: string) =>
    e(400, 'InvalidTimeStamp.Expired', `Specified time stamp or date value is expired. (${value})`),
  timestampFormat: (value: string) =>
    e(400, 'InvalidTimeStamp.Format', `Specified time stamp or date value is not well formatted. (${value})`),
  missingTimestamp: () =>
    e(
      400,
      'IllegalTimestamp',
      'The input parameter "Timestamp" that is mandatory for processing this request is not supplied.',
    ),
  // The InvalidSecurityToken.* and MissingSecurityToken statuses are UNVERIFIED (400 like the other auth errors).
  securityTokenMalformed: () =>
    e(400, 'InvalidSecurityToken.Malformed', 'The specified SecurityToken is malformed.'),
  securityTokenMismatch: () =>
    e(
      400,
      'InvalidSecurityToken.MismatchWithAccessKey',
      'The specified SecurityToken does not match the AccessKeyId.',
    ),
  securityTokenExpired: () =>
    e(400, 'InvalidSecurityToken.Expired', 'The specified SecurityToken is expired.'),
  missingSecurityToken: () =>
    e(400, 'MissingSecurityToken', 'The SecurityToken is mandatory for this AccessKeyId.'),
  // InvalidAction.NotFound (404) is what the POP gateway answers for an unknown action: UNVERIFIED for ECS.
  actionNotFound: (action: string) =>
    e(
      404,
      'InvalidAction.NotFound',
      `Specified api is not found, please check your url and method. (${action})`,
    ),
  invalidVersion: (version: string) =>
    e(400, 'InvalidVersion', `Specified parameter Version is not valid. (${version})`),
  unsupportedMethod: () => e(403, 'UnsupportedHTTPMethod', 'This HTTP method is not supported.'),
  missingParameter: (name: string) =>
    e(
      400,
      `MissingParameter.${name}`,
      `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
    ),
  // MissingRegionId is the code Alibaba's gateways use for a missing RegionId: UNVERIFIED for ECS.
  missingRegionId: () => e(400, 'MissingRegionId', 'RegionId is mandatory for this action.'),
  /** A real Alibaba Cloud region this simulator does not serve (DescribeCloudAssistantStatus error table). */
  regionNotSupported: () => e(400, 'RegionId.ApiNotSupported', 'The api is not supported in this region.'),
  /** A region ID that is no Alibaba Cloud region at all (same table, 2024; ecs-fidelity §2). */
  regionNotFound: () =>
    e(404, 'InvalidRegionId.NotFound', 'The RegionId provided does not exist in our records.'),
  missingInstanceId: () => e(400, 'MissingParam.InstanceId', 'The parameter instanceId is missing or empty.'),
  instanceIdsExceedLimit: () =>
    e(403, 'InstanceIds.ExceedLimit', 'The number of instance IDs exceeds the upper limit.'),
  // 400 since the DescribeCloudAssistantStatus, DescribeInvocations and DescribeSendFileResults
  // error tables of 2024-12-05 (403 before; ecs-fidelity §2). Every paged action uses these.
  invalidPageSize: () => e(400, 'InvalidParam.PageSize', 'The specified parameter is invalid.'),
  invalidPageNumber: () => e(400, 'InvalidParam.PageNumber', 'The specified parameter is invalid.'),
  invalidMaxResults: () =>
    e(400, 'InvalidParameter.MaxResults', 'The specified parameter MaxResults is not valid.'),
  invalidNextToken: () =>
    e(400, 'InvalidParameter.NextToken', 'The specified parameter NextToken is not valid.'),
  invalidParameter: (name: string, detail: string) =>
    e(400, `InvalidParameter.${name}`, `The specified parameter "${name}" is not valid. ${detail}`),
  instanceNotFound: () => e(404, 'InvalidInstance.NotFound', 'The specified instance does not exist.'),
  throttlingUser: () => e(400, 'Throttling.User', 'Request was denied due to user flow control.'),
  internalErrorDispatch: () =>
    e(500, 'InternalError.Dispatch', 'An error occurred when you dispatched the request.'),
  serviceUnavailable: () =>
    e(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.'),
  // A RAM policy that does not allow the action (the common ECS error table, e.g. RunCommand's and
  // DescribeInstances' pages: 403 Forbidden.RAM). Sent for a credential's `deniedActions`.
  forbiddenRam: () =>
    e(
      403,
      'Forbidden.RAM',
      "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
    ),
  // ---- RunCommand, the instance lifecycle, InstallCloudAssistant, SendFile (issue 10) ----
  // RunCommand with a Type it does not know (ecs-fidelity §3, Docs2024).
  invalidCmdType: () => e(403, 'InvalidCmdType.NotFound', 'The specified command type does not exist.'),
  // RebootInstance's table (Docs2021 RebootInstance.md); also used, UNVERIFIED, for
  // RebootInstances and InstallCloudAssistant on an instance that is not Running.
  incorrectInstanceStatus: () =>
    e(403, 'IncorrectInstanceStatus', 'The current status of the resource does not support this operation.'),
  // RebootInstance's table (Docs2021); UNVERIFIED for RebootInstances.
  invalidInstanceIdNotFound: () =>
    e(404, 'InvalidInstanceId.NotFound', 'The specified InstanceId does not exist.'),
  // DryRun=true that passed (RebootInstance page: "the DryRunOperation error code is returned"); status and text UNVERIFIED.
  dryRunOperation: () =>
    e(400, 'DryRunOperation', 'Request validation has been passed with DryRun flag set.'),
  // RebootInstances page: "DRYRUN.SUCCESS is returned"; status and text UNVERIFIED.
  dryRunSuccess: () => e(400, 'DRYRUN.SUCCESS', 'This request is a dryrun request with successful result.'),
  // InstallCloudAssistant on a Red Hat image: not supported through the API (ecs-fidelity §4), but
  // the code is UNVERIFIED: Operation.Forbidden is the documented Cloud Assistant code closest to it.
  installNotSupportedOnOs: (osName: string) =>
    e(
      403,
      'Operation.Forbidden',
      `The operation is not permitted: installing Cloud Assistant through the API is not supported on this image (${osName}); install the agent from inside the instance.`,
    ),
  // SendFile's error table (Docs2021 SendFile.md).
  fileSizeExceedLimit: () => e(403, 'FileSize.ExceedLimit', 'The length of file content exceeds limit.'),
  fileNameExceedLimit: () => e(403, 'FileName.ExceedLimit', 'The length of file name exceeds limit.'),
  fileDescExceedLimit: () => e(403, 'FileDesc.ExceedLimit', 'The length of file description exceeds limit.'),
  fileTargetDirInvalid: () => e(403, 'FileTargetDir.Invalid', 'The target directory of file is invalid.'),
  fileModeInvalid: () => e(403, 'FileMode.Invalid', 'The mode of file is invalid.'),
  fileContentDecodeError: () => e(403, 'FileContent.DecodeError', 'The Content can not be base64 decoded.'),
  fileContentTypeInvalid: () => e(403, 'FileContentType.Invalid', 'The ContentType of file is invalid.'),
} as const;
