import { CredentialsError, EcsApiError } from '@cloud-assistant-gate/core';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/cli/errors.js';
import { exitCodeForError } from '../src/cli/exit-code.js';

const api = (apiCode: string, statusCode: number) => new EcsApiError({ apiCode, statusCode });

describe('exit codes for the API codes of the current tables', () => {
  it.each([
    // The region is user input: exit 2, whether it does not exist or is not served.
    ['InvalidRegionId.NotFound', 404, ExitCode.usage],
    ['RegionId.ApiNotSupported', 400, ExitCode.usage],
    // Paging and parameter codes are 400 now (InvalidParam.* was 403, which read as a permission
    // problem, exit 3): an API failure, exit 4.
    ['InvalidParam.PageSize', 400, ExitCode.api],
    ['InvalidParam.PageNumber', 400, ExitCode.api],
    ['InvalidParameter.MaxResults', 400, ExitCode.api],
    ['InvalidParameter.NextToken', 400, ExitCode.api],
    ['MissingParam.InstanceId', 400, ExitCode.api],
    ['Forbidden.RAM', 403, ExitCode.credentials],
  ] as const)('%s (HTTP %i) → %i', (code, status, exit) => {
    expect(exitCodeForError(api(code, status))).toBe(exit);
    // The same when the waiter wraps it (StatusSourceError keeps it as cause).
    expect(exitCodeForError(Object.assign(new Error('wrapped'), { cause: api(code, status) }))).toBe(exit);
  });
});

describe('exit codes from core’s error category', () => {
  it('auth is 3, along the causes too; every other category is 4', () => {
    const denied = new EcsApiError({ apiCode: 'SomeNewDenial', statusCode: 403 });
    expect(denied.category).toBe('auth');
    expect(exitCodeForError(denied)).toBe(ExitCode.credentials);
    expect(exitCodeForError(Object.assign(new Error('wrapped'), { cause: denied }))).toBe(
      ExitCode.credentials,
    );
    expect(exitCodeForError(new CredentialsError('No Alibaba Cloud credentials found'))).toBe(
      ExitCode.credentials,
    );
    // A quota's 403 is not about rights.
    expect(exitCodeForError(new EcsApiError({ apiCode: 'QuotaExceedLimit.Foo', statusCode: 403 }))).toBe(
      ExitCode.api,
    );
    expect(exitCodeForError(new EcsApiError({ apiCode: 'InternalError', statusCode: 500 }))).toBe(
      ExitCode.api,
    );
    expect(exitCodeForError(new Error('no category'))).toBe(ExitCode.api);
  });
});
