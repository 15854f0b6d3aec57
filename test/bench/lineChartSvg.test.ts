import { expect } from 'chai';
import sharp from 'sharp';
import { lineChartSvg } from '../../src/bench/lineChartSvg.js';
import { xmlProblems } from './svgCheck.js';

describe('lineChartSvg', () => {
  const series = [
    { name: 'raw', points: [[0, 0], [1, 4e6], [2, 2e6]] as [number, number][] },
    { name: 'a<b & c>d', points: [[0, 0], [1.5, 1e6], [3, 0]] as [number, number][] },
    { name: 'third', points: [[0, 5e5], [3, 5e5]] as [number, number][] },
  ];

  it('should produce well-formed SVG with names escaped', () => {
    const svg = lineChartSvg({ title: 'Queue & <things>', xLabel: 'time (s)', yLabel: 'bytes', series });
    expect(xmlProblems(svg)).to.deep.equal([]);
    expect(svg).to.include('a&lt;b &amp; c&gt;d');
    expect(svg).to.include('Queue &amp; &lt;things&gt;');
  });

  it('should give each series its own colour, in the line and in the legend', () => {
    const svg = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series });
    const paths = [...svg.matchAll(/<path [^>]*stroke="(#[0-9A-Fa-f]{6})"/g)].map((m) => m[1]);
    expect(paths).to.have.length(3);
    expect(new Set(paths).size).to.equal(3);
    for (const colour of paths) expect(svg.split(`stroke="${colour}"`)).to.have.length(3);
  });

  it('should draw a staircase in step mode and straight segments otherwise', () => {
    const stepped = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series, step: true });
    const straight = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series });
    expect(stepped).to.match(/d="M[\d. ]+H[\d.]+V[\d.]+/);
    expect(straight).to.match(/d="M[\d. ]+L[\d. ]+/);
  });

  it('should label large values with SI suffixes and start the y axis at 0', () => {
    const svg = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[1, 2e6], [2, 4e6]] }] });
    expect(svg).to.include('>4M<');
    expect(svg).to.include('>0<');
    const data = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[1, 2e6], [2, 4e6]] }], includeZero: false });
    expect(data).to.include('>2.0M<');
    expect(data).not.to.include('>0<');
  });

  it('should render to a PNG of the declared size', async () => {
    const svg = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series, width: 640, height: 360 });
    const meta = await sharp(Buffer.from(svg)).png().toBuffer().then((png) => sharp(png).metadata());
    expect(meta).to.include({ width: 640, height: 360 });
  });

  it('should reject invalid options', () => {
    expect(() => lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [] })).to.throw(TypeError, '`series`');
    expect(() =>
      lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[0, Infinity]] }] }),
    ).to.throw(TypeError, 'series[0].points');
    expect(() => lineChartSvg({ title: 't', xLabel: 1 as unknown as string, yLabel: 'y', series })).to.throw(TypeError, '`xLabel`');
  });
});
