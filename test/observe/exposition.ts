import { expect } from 'chai';

const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const labels = `\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*")(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*")*,?\\}`;
// Prometheus reads values with Go's strconv.ParseFloat, which takes NaN in any case: prom-client writes `Nan`.
const value = '(?:[Nn][Aa][Nn]|[+-]Inf|[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)';
const sampleLine = new RegExp(`^(${name})(${labels})? (${value})(?: -?\\d+)?$`);
const helpLine = new RegExp(`^# HELP (${name}) (?:[^\\\\\\n]|\\\\[\\\\n])*$`);
const typeLine = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`);

export interface Sample {
  readonly name: string;
  readonly labels: string;
  readonly value: number;
}

export interface Family {
  readonly type: string;
  readonly samples: Sample[];
}

const toNumber = (text: string): number => (text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : /^nan$/i.test(text) ? Number.NaN : Number(text));

/**
 * Parses Prometheus text exposition 0.0.4 strictly, failing the test on any line outside the
 * grammar, on samples before their `# TYPE`, or on samples that do not belong to their family.
 */
export function parseExposition(text: string): Map<string, Family> {
  expect(text.endsWith('\n'), 'exposition ends with a newline').to.equal(true);
  const families = new Map<string, Family>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    // The format ignores empty lines; prom-client puts one between families.
    if (line === '') continue;
    const help = helpLine.exec(line);
    if (help !== null) continue;
    const type = typeLine.exec(line);
    if (type !== null) {
      expect(families.has(type[1]!), `${type[1]} typed once`).to.equal(false);
      families.set(type[1]!, { type: type[2]!, samples: [] });
      current = type[1];
      continue;
    }
    const sample = sampleLine.exec(line);
    expect(sample, `line matches the exposition grammar: ${JSON.stringify(line)}`).to.not.equal(null);
    const family = families.get(current!)!;
    expect(family, `sample after a # TYPE: ${line}`).to.not.equal(undefined);
    const allowed = family.type === 'histogram' ? [`${current}_bucket`, `${current}_sum`, `${current}_count`] : [current];
    expect(allowed, `sample ${sample![1]} belongs to ${current}`).to.include(sample![1]);
    family.samples.push({ name: sample![1]!, labels: sample![2] ?? '', value: toNumber(sample![3]!) });
  }
  return families;
}

/** Checks a histogram family: buckets ascending by `le`, counts cumulative, `+Inf` equal to `_count`. */
export function checkHistogram(family: Family): { buckets: [number, number][]; sum: number; count: number } {
  expect(family.type).to.equal('histogram');
  const buckets = family.samples
    .filter((s) => s.name.endsWith('_bucket'))
    .map((s): [number, number] => [toNumber(/le="([^"]+)"/.exec(s.labels)![1]!), s.value]);
  const sum = family.samples.find((s) => s.name.endsWith('_sum'))!.value;
  const count = family.samples.find((s) => s.name.endsWith('_count'))!.value;
  for (let i = 1; i < buckets.length; i += 1) {
    expect(buckets[i]![0]).to.be.greaterThan(buckets[i - 1]![0]);
    expect(buckets[i]![1]).to.be.at.least(buckets[i - 1]![1]);
  }
  expect(buckets.at(-1)).to.deep.equal([Infinity, count]);
  return { buckets, sum, count };
}
