import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiErrorCategory, categoryOf, isErrorCategory } from '../src/error-category.js';
import {
  ClientClosedError,
  CredentialsError,
  EcsApiError,
  EcsNetworkError,
  EcsTimeoutError,
  ResponseTooLargeError,
  ResponseValidationError,
  ThrottlingError,
} from '../src/errors.js';

describe('error category, decided in core', () => {
  it.each([
    [new EcsApiError({ apiCode: 'SignatureDoesNotMatch', statusCode: 400 }), 'auth'],
    [new EcsApiError({ apiCode: 'InvalidAccessKeyId.NotFound', statusCode: 404 }), 'auth'],
    [new EcsApiError({ apiCode: 'Forbidden.RAM', statusCode: 403 }), 'auth'],
    [new EcsApiError({ apiCode: 'SomethingElse', statusCode: 403 }), 'auth'],
    [new EcsApiError({ apiCode: 'QuotaExceedLimit', statusCode: 403 }), 'bad-request'],
    [new EcsApiError({ apiCode: 'InvalidRegionId.NotFound', statusCode: 404 }), 'bad-request'],
    [new EcsApiError({ apiCode: 'InvalidInstance.NotFound', statusCode: 404 }), 'not-found'],
    [new EcsApiError({ apiCode: 'InvalidParameter', statusCode: 400 }), 'bad-request'],
    [new EcsApiError({ apiCode: 'ServiceUnavailable', statusCode: 503 }), 'transient'],
    [new EcsApiError({ apiCode: 'InternalError', statusCode: 500 }), 'transient'],
    [new EcsApiError({ apiCode: 'Odd', statusCode: 302 }), 'other'],
    [new EcsApiError({ apiCode: 'Throttling', statusCode: 403 }), 'throttled'],
    [new ThrottlingError({ apiCode: 'Throttling.User', statusCode: 400 }), 'throttled'],
    [new EcsNetworkError('reset', 'ECONNRESET'), 'transient'],
    [new EcsNetworkError('tls', 'CERT_HAS_EXPIRED', { retryable: false }), 'other'],
    [new EcsTimeoutError('slow', 1000, undefined), 'transient'],
    [new ResponseValidationError('X', 'is missing'), 'transient'],
    [new ResponseTooLargeError(10), 'other'],
    [new CredentialsError('none found'), 'auth'],
    [new ClientClosedError('DescribeRegions'), 'other'],
  ] as const)('%s → %s', (error, category) => {
    expect(error.category).toBe(category);
    expect(categoryOf(error)).toBe(category);
  });

  it('is not a JSON field: reports keep their shape', () => {
    const json = JSON.parse(JSON.stringify(new CredentialsError('none')));
    expect(json).not.toHaveProperty('category');
  });

  it('is undefined for errors of other SDKs', () => {
    expect(categoryOf(new Error('x'))).toBeUndefined();
    expect(categoryOf({ category: 'fatal' })).toBeUndefined();
    expect(categoryOf(null)).toBeUndefined();
  });

  it('is always a category, and a retryable API error is never bad-request or other', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: 100, max: 599 }),
        fc.boolean(),
        (apiCode, statusCode, retryable) => {
          const c = apiErrorCategory({ apiCode, statusCode, retryable });
          expect(isErrorCategory(c)).toBe(true);
          if (retryable) expect(['bad-request', 'other']).not.toContain(c);
        },
      ),
    );
  });
});

describe('SignatureDoesNotMatch', () => {
  it('keeps the string ECS signed as a field, out of the message', () => {
    const error = new EcsApiError({
      apiCode: 'SignatureDoesNotMatch',
      apiMessage:
        'Specified signature is not matched with our calculation. server string to sign is:GET&%2F&AccessKeyId%3Dx',
      statusCode: 400,
      requestId: 'r1',
      action: 'DescribeRegions',
    });
    expect(error.serverStringToSign).toBe('GET&%2F&AccessKeyId%3Dx');
    expect(error.apiMessage).toBe('Specified signature is not matched with our calculation.');
    expect(error.message).toBe(
      'ECS DescribeRegions failed with SignatureDoesNotMatch, HTTP 400: Specified signature is not matched with our calculation. (request r1)',
    );
  });

  it('leaves other messages alone', () => {
    const error = new EcsApiError({ apiCode: 'Forbidden', apiMessage: 'No.', statusCode: 403 });
    expect(error.serverStringToSign).toBeUndefined();
    expect(error.apiMessage).toBe('No.');
  });
});
