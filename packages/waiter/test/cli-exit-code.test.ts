import { EcsApiError } from '@cloud-assistant-gate/core';
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
