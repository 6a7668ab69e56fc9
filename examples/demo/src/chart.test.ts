import { describe, expect, it } from 'vitest';
import { renderSpreadChart, tickStep } from './chart.js';

describe('renderSpreadChart', () => {
  const svg = renderSpreadChart({
    title: 'Progress <of> "locks" & more',
    yLabel: 'best position',
    yMax: 4,
    goal: { value: 4, label: 'open' },
    width: 460,
    height: 300,
    series: [
      {
        name: 'A',
        color: '#111111',
        curves: [
          {
            points: [
              { steps: 0, value: 0 },
              { steps: 10, value: 2 },
              { steps: 20, value: 4 },
            ],
            endSteps: 20,
          },
          { points: [{ steps: 0, value: 2 }], endSteps: 20 },
        ],
      },
      { name: 'B', color: '#222222', curves: [{ points: [{ steps: 0, value: 0 }], endSteps: 40 }] },
    ],
  });
  const attribute = (kind: string, name: string) =>
    new RegExp(`${kind}="${name}"[^>]*points="([^"]*)"`).exec(svg)?.[1]?.split(' ');

  it('is a standalone SVG document with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Progress &lt;of&gt; &quot;locks&quot; &amp; more');
    expect(svg).not.toContain('<of>');
    expect(svg).toContain('A (median of 2)');
    expect(svg).toContain('shaded: lowest to highest run');
  });

  it('draws the median as a step line and the range as a band, the x axis spanning the longest run', () => {
    // Plot: x from 60 to 432 over 0..40 steps (9.3 px per step); y from 244 (value 0) up to 86 (4).
    // A's median: 1 until step 10, then 2, then 3 from step 20; its range 0..2, 2..2, 2..4.
    expect(attribute('data-series', 'A')).toEqual(['60,204.5', '153,204.5', '153,165', '246,165', '246,125.5']);
    expect(attribute('data-band', 'A')).toEqual([
      ...['60,165', '153,165', '246,165', '246,86'],
      ...['246,165', '153,165', '153,244', '60,244'],
    ]);
    // A single run has a line and no band.
    expect(attribute('data-series', 'B')).toEqual(['60,244', '432,244']);
    expect(svg).not.toContain('data-band="B"');
  });

  it('picks round tick steps', () => {
    expect(tickStep(243, 8)).toBe(50);
    expect(tickStep(12, 6)).toBe(2);
    expect(tickStep(7, 8)).toBe(1);
    expect(tickStep(0, 8)).toBe(1);
    expect(tickStep(1800, 8)).toBe(500);
  });
});
