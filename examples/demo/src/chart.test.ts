import { describe, expect, it } from 'vitest';
import { renderProgressChart, tickStep } from './chart.js';

describe('renderProgressChart', () => {
  const svg = renderProgressChart({
    title: 'Progress <of> "locks" & more',
    goal: 4,
    goalLabel: 'open',
    width: 460,
    height: 300,
    series: [
      {
        name: 'A',
        color: '#111111',
        points: [
          { steps: 0, score: 0 },
          { steps: 10, score: 2 },
          { steps: 20, score: 4 },
        ],
        endSteps: 20,
      },
      { name: 'B', color: '#222222', points: [{ steps: 0, score: 0 }], endSteps: 40 },
    ],
  });

  it('is a standalone SVG document with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Progress &lt;of&gt; &quot;locks&quot; &amp; more');
    expect(svg).not.toContain('<of>');
  });

  it('draws each series as a step line, the x axis spanning the longest budget', () => {
    // Plot: x from 60 to 432 over 0..40 steps (9.3 px per step); y from 244 (score 0) up to 86 (4).
    const points = (name: string) =>
      new RegExp(`data-series="${name}"[^>]*points="([^"]*)"`).exec(svg)?.[1]?.split(' ');
    expect(points('A')).toEqual(['60,244', '60,244', '60,244', '153,244', '153,165', '246,165', '246,86', '246,86']);
    expect(points('B')).toEqual(['60,244', '60,244', '60,244', '432,244']);
  });

  it('picks round tick steps', () => {
    expect(tickStep(243, 8)).toBe(50);
    expect(tickStep(12, 6)).toBe(2);
    expect(tickStep(7, 8)).toBe(1);
    expect(tickStep(0, 8)).toBe(1);
    expect(tickStep(1800, 8)).toBe(500);
  });
});
