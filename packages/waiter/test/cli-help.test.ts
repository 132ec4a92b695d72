import { describe, expect, it } from 'vitest';
import { helpText } from '../src/cli/help.js';
import { EXIT_CODE_HELP, OPTIONS } from '../src/cli/options.js';

describe('--help', () => {
  const text = helpText();

  it('matches the snapshot', async () => {
    await expect(text).toMatchFileSnapshot('__snapshots__/cli-help.txt');
  });

  it('lists every flag with its default and environment variable', () => {
    for (const o of OPTIONS) {
      expect(text).toContain(`--${o.name}`);
      if (o.env !== undefined) expect(text).toContain(`env: ${o.env}`);
      if (o.default !== undefined) expect(text).toContain(`default: ${o.default}`);
    }
  });

  it('lists every exit code', () => {
    for (const [code] of EXIT_CODE_HELP) expect(text).toMatch(new RegExp(`^\\s+${code}  `, 'm'));
    expect(EXIT_CODE_HELP.map(([c]) => c)).toEqual([0, 1, 2, 3, 4, 130]);
  });

  it('fits in 120 columns and holds no escape codes', () => {
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(120);
    expect(text).not.toContain('\x1b');
  });
});
