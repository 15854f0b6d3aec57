import { expect } from 'chai';
import sharp from 'sharp';
import { boxPlotSvg } from '../../src/bench/boxPlotSvg.js';
import { xmlProblems } from './svgCheck.js';

describe('boxPlotSvg', () => {
  const groups = [
    { name: 'raw', values: [60, 61, 62, 63] },
    { name: 'spline <&> "gain"', values: [40, 41, 42, 43, 44, 80] },
  ];

  it('should produce well-formed SVG with names escaped', () => {
    const svg = boxPlotSvg({ title: 'Makespan <all> & more', yLabel: 'makespan (s)', groups });
    expect(xmlProblems(svg)).to.deep.equal([]);
    expect(svg).to.include('spline &lt;&amp;&gt; &quot;gain&quot;');
    expect(svg).to.include('Makespan &lt;all&gt; &amp; more');
    expect(svg).not.to.include('<&>');
  });

  it('should render to a PNG of the declared size', async () => {
    const svg = boxPlotSvg({ title: 't', yLabel: 'y', groups, width: 500, height: 300 });
    const meta = await sharp(Buffer.from(svg)).png().toBuffer().then((png) => sharp(png).metadata());
    expect(meta).to.include({ width: 500, height: 300 });
  });

  it('should draw one box per group with values, whiskers at 1.5 IQR and outliers as circles', () => {
    const svg = boxPlotSvg({ title: 't', yLabel: 'y', groups: [...groups, { name: 'empty', values: [] }], points: false });
    // One translucent box per non-empty group; the 80 is the only outlier.
    expect(svg.match(/fill-opacity="0.18"/g)).to.have.length(2);
    expect(svg.match(/<circle [^>]*r="4"/g)).to.have.length(1);
    expect(svg).to.include('>empty<');
    expect(svg).to.include('n = 6');
  });

  it('should place the median at the right height', () => {
    const svg = boxPlotSvg({ title: 't', yLabel: 'y', groups: [{ name: 'a', values: [0, 10, 20, 100] }], points: false, height: 440 });
    // Ticks 0..100 span y 376 (bottom, 440 - 64) to 48 (top); the median 15 sits at 376 - 0.15·328.
    const median = svg.match(/<line [^>]*y1="([\d.]+)"[^>]*stroke-width="2.5"/);
    expect(Number(median![1])).to.be.closeTo(376 - 0.15 * 328, 0.01);
  });

  it('should jitter one dot per value when points are on', () => {
    const svg = boxPlotSvg({ title: 't', yLabel: 'y', groups });
    expect(svg.match(/<circle [^>]*r="2.5"/g)).to.have.length(10);
  });

  it('should slant names too long for their slot', () => {
    const long = 'a strategy with a very long descriptive name';
    const svg = boxPlotSvg({ title: 't', yLabel: 'y', groups: [{ name: long, values: [1, 2] }, { name: 'b', values: [3] }] });
    expect(svg).to.include('rotate(-30)');
  });

  it('should reject invalid options', () => {
    expect(() => boxPlotSvg({ title: 't', yLabel: 'y', groups: [] })).to.throw(TypeError, '`groups`');
    expect(() => boxPlotSvg({ title: 't', yLabel: 'y', groups: [{ name: 'a', values: [NaN] }] })).to.throw(TypeError, 'groups[0].values');
    expect(() => boxPlotSvg({ title: 't', yLabel: 'y', groups: [{ name: 'a', values: [] }] })).to.throw(TypeError, 'at least one');
    expect(() => boxPlotSvg({ title: 't', yLabel: 'y', groups, width: 10 })).to.throw(TypeError, '`width`');
  });
});
