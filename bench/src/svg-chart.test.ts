import { describe, expect, it } from 'vitest';
import { barChart, escapeXml, makeScale } from './svg-chart.js';

const series = [
  { id: 'snapbox', label: 'snapbox', color: '#1565c0' },
  { id: 'python', label: 'Python <SDK>', color: '#f9a825' },
];

const attribute = (svg: string, selector: RegExp) => [...svg.matchAll(selector)].map((match) => Number(match[1]));

describe('barChart', () => {
  const svg = barChart({
    title: 'Ratio & more',
    series,
    groups: [
      { label: 'exec `true`', values: { snapbox: 1, python: 3 } },
      { label: 'start', values: { snapbox: 2, python: Number.NaN } },
    ],
    axisLabel: 'ratio',
    scale: 'linear',
    references: [{ value: 1.1, label: 'target' }],
  });

  it('is a standalone SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('draws one bar per finite value, in its series colour', () => {
    const bars = [...svg.matchAll(/<rect class="bar" data-series="([^"]+)"[^>]*fill="([^"]+)"/g)];
    expect(bars.map((bar) => bar[1])).toEqual(['snapbox', 'python', 'snapbox']);
    expect(bars[1]?.[2]).toBe('#f9a825');
  });

  it('makes bar lengths proportional to the values on a linear scale', () => {
    const widths = attribute(svg, /<rect class="bar"[^>]* width="([\d.]+)"/g);
    expect(widths).toHaveLength(3);
    const [one, three, two] = widths as [number, number, number];
    expect(three / one).toBeCloseTo(3, 1);
    expect(two / one).toBeCloseTo(2, 1);
  });

  it('escapes text, so labels cannot break the markup', () => {
    expect(svg).toContain('Ratio &#38; more');
    expect(svg).toContain('Python &#60;SDK&#62;');
    expect(svg).not.toContain('<SDK>');
  });

  it('draws the reference line where its value falls', () => {
    const [x1] = attribute(svg, /<line class="reference" x1="([\d.]+)"/g);
    const [barStart] = attribute(svg, /<rect class="bar"[^>]* x="([\d.]+)"/g);
    const [oneWidth] = attribute(svg, /<rect class="bar"[^>]* width="([\d.]+)"/g);
    expect(x1 as number).toBeCloseTo((barStart as number) + 1.1 * (oneWidth as number), 0);
  });
});

describe('makeScale', () => {
  it('spaces decades evenly on a log scale', () => {
    const scale = makeScale('log', [0.5, 20]);
    const decade = scale.x(10) - scale.x(1);
    expect(scale.x(100) - scale.x(10)).toBeCloseTo(decade, 6);
    expect(scale.ticks).toContain(1);
    expect(scale.ticks).toContain(10);
  });

  it('starts a linear scale at zero with round ticks covering the largest value', () => {
    const scale = makeScale('linear', [3, 17]);
    expect(scale.x(0)).toBe(0);
    expect(scale.ticks[0]).toBe(0);
    expect(Math.max(...scale.ticks)).toBeGreaterThanOrEqual(17);
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});
