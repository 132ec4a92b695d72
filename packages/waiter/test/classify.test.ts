import { describe, expect, it } from 'vitest';
import { classifyError, errorKey } from '../src/classify.js';

const err = (fields: Record<string, unknown>) => Object.assign(new Error('x'), fields);

describe('classifyError', () => {
  it.each([
    [err({ code: 'ECS_API_ERROR', apiCode: 'InvalidInstance.NotFound', retryable: false }), 'not-found'],
    [err({ code: 'InvalidInstanceIds.NotFound' }), 'not-found'],
    [err({ code: 'ECS_THROTTLED', apiCode: 'Throttling.User', retryable: true }), 'transient'],
    [err({ code: 'ECS_NETWORK_ERROR', retryable: true }), 'transient'],
    [err({ code: 'ECS_API_ERROR', apiCode: 'Forbidden.RAM', retryable: false, statusCode: 403 }), 'fatal'],
    [err({ code: 'ECS_CREDENTIALS', retryable: false }), 'fatal'],
    // Errors from other SDKs, without a retryable flag:
    [err({ code: 'ServiceUnavailable', statusCode: 503 }), 'transient'],
    [err({ code: 'Throttling' }), 'transient'],
    [err({ statusCode: 502 }), 'transient'],
    [err({ code: 'ECONNRESET' }), 'transient'],
    [err({ code: 'UND_ERR_SOCKET' }), 'transient'],
    [Object.assign(new DOMException('t', 'TimeoutError')), 'transient'],
    [err({ code: 'SignatureDoesNotMatch', statusCode: 400 }), 'fatal'],
    // A region that does not exist is not an instance that does not exist: no bisection, fatal.
    [
      err({ code: 'ECS_API_ERROR', apiCode: 'InvalidRegionId.NotFound', retryable: false, statusCode: 404 }),
      'fatal',
    ],
    [err({ code: 'InvalidRegionId.NotFound', statusCode: 404 }), 'fatal'],
    [err({ code: 'RegionId.ApiNotSupported', statusCode: 400 }), 'fatal'],
    [err({ code: 'InvalidParam.PageSize', statusCode: 400 }), 'fatal'],
    [err({ code: 'InvalidParameter.NextToken', statusCode: 400 }), 'fatal'],
    [err({ code: 'MissingParam.InstanceId', statusCode: 400 }), 'fatal'],
    [err({ code: 'ENOTFOUND' }), 'fatal'],
    [new TypeError('bug'), 'fatal'],
    ['a string', 'fatal'],
  ])('%o is %s', (error, expected) => {
    expect(classifyError(error)).toBe(expected);
  });

  it('counts errors under the API code, else the error code, else the name', () => {
    expect(errorKey(err({ code: 'ECS_API_ERROR', apiCode: 'ServiceUnavailable' }))).toBe(
      'ServiceUnavailable',
    );
    expect(errorKey(err({ code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(errorKey(new TypeError('x'))).toBe('TypeError');
  });
});
