import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fromTransportError, isRetryableApiError, redact } from '../src/errors.js';
import {
  CredentialsError,
  EcsApiError,
  type EcsError,
  EcsNetworkError,
  EcsTimeoutError,
  isCredentialsError,
  isEcsApiError,
  isEcsError,
  isEcsNetworkError,
  isEcsTimeoutError,
  isResponseValidationError,
  isThrottlingError,
  ResponseValidationError,
  ThrottlingError,
} from '../src/index.js';

const withCode = (code: string): Error =>
  Object.assign(new Error(`some text that must not matter ${code}`), { code });

describe('transport errors are mapped by their code', () => {
  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', 'ECS_TIMEOUT', true],
    ['UND_ERR_HEADERS_TIMEOUT', 'ECS_TIMEOUT', true],
    ['UND_ERR_BODY_TIMEOUT', 'ECS_TIMEOUT', true],
    ['ETIMEDOUT', 'ECS_TIMEOUT', true],
    ['UND_ERR_SOCKET', 'ECS_NETWORK_ERROR', true],
    ['ECONNRESET', 'ECS_NETWORK_ERROR', true],
    ['ECONNREFUSED', 'ECS_NETWORK_ERROR', true],
    ['EPIPE', 'ECS_NETWORK_ERROR', true],
    ['ENOTFOUND', 'ECS_NETWORK_ERROR', false],
    ['EAI_AGAIN', 'ECS_NETWORK_ERROR', true],
    ['EHOSTUNREACH', 'ECS_NETWORK_ERROR', true],
    ['UND_ERR_CLOSED', 'ECS_NETWORK_ERROR', true],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'ECS_NETWORK_ERROR', false],
    ['CERT_HAS_EXPIRED', 'ECS_NETWORK_ERROR', false],
    ['UND_ERR_INVALID_ARG', 'ECS_ERROR', false],
  ] as const)('%s becomes %s (retryable: %s)', (code, ecsCode, retryable) => {
    const error = fromTransportError(withCode(code), { action: 'DescribeCloudAssistantStatus', host: 'h' });
    expect(error.code).toBe(ecsCode);
    expect(error.retryable).toBe(retryable);
    expect(isEcsError(error)).toBe(true);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('finds the code in a cause chain or an AggregateError', () => {
    const nested = new Error('fetch failed', { cause: withCode('ECONNRESET') });
    expect(fromTransportError(nested, {}).code).toBe('ECS_NETWORK_ERROR');
    const aggregate = new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'x');
    expect(fromTransportError(aggregate, {}).code).toBe('ECS_NETWORK_ERROR');
  });

  it('makes a host that does not resolve final, pointing at the endpoint and region', () => {
    // Synthetic: what undici rejects with for an unknown name (no DNS traffic).
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND ecs.cn-hangzou.aliyuncs.com'), {
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
      hostname: 'ecs.cn-hangzou.aliyuncs.com',
    });
    const error = fromTransportError(new TypeError('fetch failed', { cause: dns }), {
      action: 'DescribeCloudAssistantStatus',
      host: 'ecs.cn-hangzou.aliyuncs.com',
    });
    expect(error.code).toBe('ECS_NETWORK_ERROR');
    expect(error.retryable).toBe(false);
    expect((error as { causeCode?: string }).causeCode).toBe('ENOTFOUND');
    expect(error.message).toMatch(/ENOTFOUND.*check the endpoint and region/);
    // A resolver that did not answer is transient.
    expect(fromTransportError(withCode('EAI_AGAIN'), {}).retryable).toBe(true);
  });

  it('does not look at message text', () => {
    expect(fromTransportError(new Error('ECONNRESET timeout socket hang up'), {}).code).toBe('ECS_ERROR');
  });

  it('reports our own per-attempt timeout as EcsTimeoutError with the limit', () => {
    const error = fromTransportError(new DOMException('aborted', 'AbortError'), { timeoutMs: 250 });
    expect(isEcsTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ timeoutMs: 250, retryable: true });
  });
});

describe('API errors are classified as the official SDKs do', () => {
  it.each([
    ['Throttling', 400, true],
    ['Throttling.User', 400, true],
    ['Throttling.Api', 400, true],
    ['ServiceUnavailable', 503, true],
    ['InternalError', 500, true],
    ['InternalError.Dispatch', 500, true],
    ['UnknownError', 500, true],
    ['SomethingNew', 502, true],
    ['HTTP429', 429, true],
    ['SignatureDoesNotMatch', 400, false],
    ['IncompleteSignature', 400, false],
    ['InvalidAccessKeyId.NotFound', 404, false],
    ['InvalidAccessKeyId.Inactive', 400, false],
    ['SignatureNonceUsed', 400, false],
    ['InvalidTimeStamp.Expired', 400, false],
    ['Forbidden.RAM', 403, false],
    ['MissingParameter', 400, false],
    ['InvalidParameter', 400, false],
    // The codes of the 2024 DescribeCloudAssistantStatus / DescribeInvocations tables.
    ['InvalidParam.PageSize', 400, false],
    ['InvalidParam.PageNumber', 400, false],
    ['InvalidParam.PageSize', 403, false],
    ['InvalidParameter.MaxResults', 400, false],
    ['InvalidParameter.NextToken', 400, false],
    ['MissingParam.InstanceId', 400, false],
    ['InvalidRegionId.NotFound', 404, false],
    ['RegionId.ApiNotSupported', 400, false],
    ['InvalidInstance.NotFound', 404, false],
    ['InstanceIds.ExceedLimit', 403, false],
    ['OperationConflict', 409, false],
  ] as const)('%s (HTTP %i) retryable: %s', (apiCode, status, retryable) => {
    expect(isRetryableApiError(apiCode, status)).toBe(retryable);
    expect(new EcsApiError({ apiCode, statusCode: status }).retryable).toBe(retryable);
  });

  it('has stable codes, literal names and guards that check the code', () => {
    const cases: [EcsError, string, string][] = [
      [new EcsApiError({ apiCode: 'X', statusCode: 400 }), 'EcsApiError', 'ECS_API_ERROR'],
      [new ThrottlingError({ apiCode: 'Throttling', statusCode: 400 }), 'ThrottlingError', 'ECS_THROTTLED'],
      [new EcsNetworkError('n', 'ECONNRESET'), 'EcsNetworkError', 'ECS_NETWORK_ERROR'],
      [new EcsTimeoutError('t', 10, undefined), 'EcsTimeoutError', 'ECS_TIMEOUT'],
      [new ResponseValidationError('a.b', 'is missing'), 'ResponseValidationError', 'ECS_RESPONSE_INVALID'],
      [new CredentialsError('none', ['a', 'b']), 'CredentialsError', 'ECS_CREDENTIALS'],
    ];
    for (const [error, name, code] of cases) {
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(isEcsError(error)).toBe(true);
    }
    expect(isEcsApiError(cases[1]![0])).toBe(true);
    expect(isThrottlingError(cases[1]![0])).toBe(true);
    expect(isThrottlingError(cases[0]![0])).toBe(false);
    expect(isEcsNetworkError(cases[2]![0])).toBe(true);
    expect(isResponseValidationError(cases[4]![0])).toBe(true);
    expect(isCredentialsError(cases[5]![0])).toBe(true);
    expect(isEcsError(new Error('x'))).toBe(false);
    expect(isEcsError({ code: 'ECS_API_ERROR', retryable: true })).toBe(true);
    expect(isEcsError({ code: 'ECONNRESET' })).toBe(false);
  });

  it('serialises to JSON with its fields and without the cause', () => {
    const error = new EcsApiError(
      { apiCode: 'InvalidInstance.NotFound', statusCode: 404, requestId: 'r1' },
      { cause: new Error('inner') },
    );
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      name: 'EcsApiError',
      code: 'ECS_API_ERROR',
      apiCode: 'InvalidInstance.NotFound',
      statusCode: 404,
      requestId: 'r1',
      retryable: false,
    });
    expect(inspect(error)).toContain('InvalidInstance.NotFound');
  });
});

describe('redaction of server text', () => {
  it('removes known secrets and SecurityToken/Signature values from an echoed string-to-sign', () => {
    const secret = 'MySecret123';
    const token = 'CAIS+token/with=chars';
    const echoed = `server string to sign is:POST&%2F&AccessKeyId%3Did%26SecurityToken%3D${encodeURIComponent(
      encodeURIComponent(token),
    )}%26SignatureMethod%3DHMAC-SHA1 Signature=abc123 key ${secret} raw ${token}`;
    const out = redact(echoed, [secret, token]);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(token);
    expect(out).not.toContain(encodeURIComponent(encodeURIComponent(token)));
    expect(out).not.toContain('abc123');
    expect(out).toContain('SignatureMethod%3DHMAC-SHA1');
  });
});
