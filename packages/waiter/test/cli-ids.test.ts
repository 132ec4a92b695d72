import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CliUsageError } from '../src/cli/errors.js';
import { type ByteSource, collectIds, IdCollector, MAX_LINE_BYTES, readIdStream } from '../src/cli/ids.js';

const dir = mkdtempSync(join(tmpdir(), 'cag-ids-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, content: string | Uint8Array): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

/** Feeds bytes in awkward chunks, to prove that chunk boundaries never split an ID. */
async function* chunks(bytes: Uint8Array, size: number): ByteSource {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const fromText = async (text: string | Uint8Array, chunkSize = 7): Promise<string[]> => {
  const c = new IdCollector();
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  await readIdStream(c, chunks(bytes, chunkSize), 'ids.txt');
  c.throwIfProblems();
  return c.ids;
};

describe('reading instance IDs', () => {
  it('takes one per line or whitespace-separated, with comments, blank lines, CRLF and a BOM', async () => {
    const text =
      '\uFEFF# fleet A\r\ni-aaa1\r\n\r\n  i-bbb2\ti-ccc3   # web\r\nmi-ddd4 # managed\n\n#i-eee5\ni-fff6';
    for (const size of [1, 2, 3, 7, 64, 4096]) {
      expect(await fromText(text, size)).toEqual(['i-aaa1', 'i-bbb2', 'i-ccc3', 'mi-ddd4', 'i-fff6']);
    }
  });

  it('takes IDs with their region (region:id) beside bare ones', async () => {
    expect(await fromText('cn-beijing:i-2zeabc\ni-bp1def  ap-southeast-1:mi-xyz # managed\n')).toEqual([
      'cn-beijing:i-2zeabc',
      'i-bp1def',
      'ap-southeast-1:mi-xyz',
    ]);
  });

  it.each([
    ['cn-beijing:', /"cn-beijing:" is not an instance ID; an ID with its region is written region:id/],
    ['CN-BEIJING:i-abc', /lower-case: did you mean cn-beijing:i-abc\?/],
    ['cn-beijing:i-abc:x', /"cn-beijing:i-abc:x" is not an instance ID/],
    ['cn beijing:i-abc', /"beijing:i-abc" is not an instance ID/],
    ['cn-beijing&Action=X:i-abc', /is not an instance ID/],
  ])('refuses the malformed region:id %j', async (bad, message) => {
    await expect(fromText(`i-good1\n${bad}\n`)).rejects.toThrow(message);
  });

  it('takes a JSON list as `terraform output -json` prints it, compact or pretty', async () => {
    expect(await fromText('["i-aaa1","i-bbb2","mi-ccc3"]\n')).toEqual(['i-aaa1', 'i-bbb2', 'mi-ccc3']);
    const pretty = '[\n  "i-aaa1",\n  "i-bbb2"\n]\n';
    for (const size of [1, 3, 4096]) expect(await fromText(pretty, size)).toEqual(['i-aaa1', 'i-bbb2']);
    expect(await fromText('[]\n# nothing yet\ni-ddd4\n')).toEqual(['i-ddd4']);
    expect(await collectIds({ args: ['["i-aaa1", "i-bbb2"]', 'i-ccc3'], files: [] })).toEqual([
      'i-aaa1',
      'i-bbb2',
      'i-ccc3',
    ]);
  });

  it('keeps the first of duplicate IDs, in order', async () => {
    expect(await fromText('i-b\ni-a\ni-b\ni-c i-a\n')).toEqual(['i-b', 'i-a', 'i-c']);
  });

  it.each([
    ['i-abc&Action=DeleteInstance', /ids\.txt:2: "i-abc&Action=DeleteInstance" is not an instance ID/],
    ['i-abc;rm -rf /', /ids\.txt:2: "i-abc;rm" is not an instance ID[\s\S]*ids\.txt:2: "-rf"/],
    [
      '"i-abc"',
      /"\\"i-abc\\"" is not an instance ID; write bare IDs, or a JSON list such as \["i-abc", "i-def"\]/,
    ],
    ['{"ids": ["i-abc"]}', /a JSON object is not a list of IDs/],
    [
      '["i-abc", "I-DEF"]',
      /"\\"I-DEF\\"" is not an instance ID; instance IDs are lower-case: did you mean i-def\?/,
    ],
    ['["i-abc", "i-def"', /ids\.txt: the JSON list is not closed with \]/],
    ['["i-abc", 42]', /"42" is not an instance ID; a JSON list holds quoted IDs/],
    ['i-a,i-b', /not commas/],
    ['i-bp1abc****', /masked placeholder/],
    ['i-x\u001b[2Jboom', /"i-x\\u001b\[2Jboom"/],
  ])('refuses %j naming the file and line, with control characters escaped', async (bad, message) => {
    const attempt = fromText(`i-good1\n${bad}\ni-good2\n`);
    await expect(attempt).rejects.toThrow(CliUsageError);
    await expect(fromText(`i-good1\n${bad}\ni-good2\n`)).rejects.toThrow(message);
  });

  it('lists up to ten bad entries and counts the rest', async () => {
    const text = Array.from({ length: 25 }, (_, i) => `bad${i}`).join('\n');
    const error = await fromText(text).catch((e: unknown) => e as CliUsageError);
    expect(error).toBeInstanceOf(CliUsageError);
    expect((error as CliUsageError).code).toBe('CLI_BAD_INPUT');
    expect((error as Error).message).toMatch(/^25 bad instance ID entries/);
    expect((error as Error).message).toContain('ids.txt:10: "bad9"');
    expect((error as Error).message).not.toContain('bad10"');
    expect((error as Error).message).toContain('… and 15 more');
  });

  it('refuses invalid UTF-8, naming the line', async () => {
    const bytes = Buffer.concat([
      Buffer.from('i-a\ni-b\ni-'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\ni-c\n'),
    ]);
    await expect(fromText(bytes, 3)).rejects.toThrow(/^ids\.txt:3: the text is not valid UTF-8/);
  });

  it('refuses a UTF-16 file with advice', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('i-a\n', 'utf16le')]);
    await expect(fromText(bytes)).rejects.toThrow(/UTF-16; save the file as UTF-8/);
  });

  it('refuses a line longer than the limit without buffering the whole input', async () => {
    await expect(fromText('i-a\n' + 'x'.repeat(MAX_LINE_BYTES + 10), 4096)).rejects.toThrow(
      /ids\.txt:2: the line is longer than 65536 bytes/,
    );
  });

  it('throws only CliUsageError, or returns valid unique IDs, for any input', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc
            .array(fc.oneof(fc.constantFrom('i-a', 'mi-b', 'i-c1', '#', ' ', '\n', '\r\n', '\t', '\uFEFF')), {
              maxLength: 30,
            })
            .map((parts) => parts.join('')),
          fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a).toString('latin1')),
        ),
        fc.integer({ min: 1, max: 9 }),
        async (text, size) => {
          try {
            const ids = await fromText(text, size);
            expect(new Set(ids).size).toBe(ids.length);
            for (const id of ids) expect(id).toMatch(/^(?:[a-z][a-z0-9]*(?:-[a-z0-9]+)+:)?m?i-[0-9a-z]+$/);
          } catch (error) {
            expect(error).toBeInstanceOf(CliUsageError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads raw bytes that are not UTF-8 as an error, never as IDs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), async (bytes) => {
        try {
          const ids = await fromText(bytes, 5);
          for (const id of ids) expect(id).toMatch(/^m?i-[0-9a-z]+$/);
        } catch (error) {
          expect(error).toBeInstanceOf(CliUsageError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads a 1,000,000-line file in well under the test budget', async () => {
    const lines = Array.from({ length: 1_000_000 }, (_, i) => `i-${i.toString(36).padStart(8, '0')}`);
    const path = file('million.txt', `# a million\n${lines.join('\n')}\n`);
    const started = performance.now();
    const ids = await collectIds({ args: [], files: [path] });
    const ms = performance.now() - started;
    expect(ids).toHaveLength(1_000_000);
    expect(ids[999_999]).toBe(lines[999_999]);
    console.log(`1,000,000-line ID file read in ${Math.round(ms)} ms`);
    // About 1.3 s on a loaded 2-core machine; the bound only catches a quadratic regression.
    expect(ms).toBeLessThan(10_000);
  });
});

describe('collectIds', () => {
  it('merges arguments, files and stdin in that order, deduplicated', async () => {
    const a = file('a.txt', 'i-f1\ni-shared\n');
    async function* stdin(): ByteSource {
      yield 'i-s1 i-shared\n';
    }
    const ids = await collectIds({ args: ['i-a1', 'i-a2 i-shared', '-'], files: [a], stdin: stdin() });
    expect(ids).toEqual(['i-a1', 'i-a2', 'i-shared', 'i-f1', 'i-s1']);
  });

  it('refuses an empty file or one with only comments, naming it', async () => {
    const empty = file('empty.txt', '');
    const comments = file('comments.txt', '# nothing here\n\n');
    await expect(collectIds({ args: [], files: [empty] })).rejects.toThrow(
      `${empty} contains no instance IDs.`,
    );
    await expect(collectIds({ args: [], files: [comments] })).rejects.toThrow(
      /comments\.txt contains no instance IDs/,
    );
  });

  it('refuses empty stdin', async () => {
    async function* stdin(): ByteSource {}
    await expect(collectIds({ args: ['-'], files: [], stdin: stdin() })).rejects.toThrow(
      'stdin contains no instance IDs.',
    );
  });

  it('says plainly when a file is missing or is a directory', async () => {
    await expect(collectIds({ args: [], files: [join(dir, 'nope.txt')] })).rejects.toThrow(
      /nope\.txt": no such file\./,
    );
    await expect(collectIds({ args: [], files: [dir] })).rejects.toThrow(/is a directory/);
  });

  it('refuses upper-case IDs with the lower-case spelling, in arguments and files alike', async () => {
    await expect(collectIds({ args: ['i-abc', 'I-ABC'], files: [] })).rejects.toThrow(
      /argument 2: "I-ABC" is not an instance ID; instance IDs are lower-case: did you mean i-abc\?/,
    );
    const path = file('upper.txt', 'i-abc\nMI-Hz018jrc1o0abcd # pasted\n');
    await expect(collectIds({ args: [], files: [path] })).rejects.toThrow(
      /upper\.txt:2: "MI-Hz018jrc1o0abcd" is not an instance ID; instance IDs are lower-case: did you mean mi-hz018jrc1o0abcd\?/,
    );
    await expect(collectIds({ args: ['I-AB&C'], files: [] })).rejects.toThrow(
      /"I-AB&C" is not an instance ID$/m,
    );
  });

  it('names the argument that holds a bad ID', async () => {
    await expect(collectIds({ args: ['i-ok', 'i-abc&Action=DeleteInstance'], files: [] })).rejects.toThrow(
      /argument 2: "i-abc&Action=DeleteInstance" is not an instance ID/,
    );
  });

  it('stops reading a stdin that never ends when the signal aborts, and destroys the stream', async () => {
    const stdin = new PassThrough();
    stdin.write('i-abc\n');
    const controller = new AbortController();
    const reading = collectIds({ args: ['-'], files: [], stdin, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('Interrupted by SIGINT.')), 20);
    await expect(reading).rejects.toThrow('Interrupted by SIGINT.');
    expect(stdin.destroyed).toBe(true);
  });

  it('stops reading an --ids-file that never ends (a FIFO) when the signal aborts', async () => {
    const stream = new PassThrough();
    const controller = new AbortController();
    const reading = collectIds({
      args: [],
      files: ['/some/fifo'],
      openFile: () => stream,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(reading).rejects.toThrow(/^stop$/);
    expect(stream.destroyed).toBe(true);
  });

  it('stops an async iterable that never yields (no destroy method) and reads nothing once aborted', async () => {
    const never: ByteSource = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<string>>(() => {}) }),
    };
    const controller = new AbortController();
    const reading = collectIds({ args: ['-'], files: [], stdin: never, signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(reading).rejects.toThrow(/^stop$/);
    await expect(
      collectIds({
        args: ['-'],
        files: [],
        stdin: chunks(Buffer.from('i-abc\n'), 3),
        signal: controller.signal,
      }),
    ).rejects.toThrow(/^stop$/);
  });

  it('reads to the end as before when the signal never aborts', async () => {
    const controller = new AbortController();
    const stdin = new PassThrough();
    stdin.end('i-abc i-def\n');
    await expect(collectIds({ args: [], files: ['-'], stdin, signal: controller.signal })).resolves.toEqual([
      'i-abc',
      'i-def',
    ]);
  });
});
