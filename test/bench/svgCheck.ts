// A small well-formedness check for the generated SVG: balanced tags, quoted attributes and no
// raw `<` or stray `&` in text. Enough to catch unescaped names without an XML parser dependency.

export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:.-]*)([^<>]*?)(\/?)>/g;
  let last = 0;
  const checkText = (text: string) => {
    if (text.includes('<') || text.includes('>')) problems.push(`raw angle bracket in text: ${JSON.stringify(text)}`);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) problems.push(`stray & in: ${JSON.stringify(text)}`);
  };
  for (const match of xml.matchAll(tag)) {
    checkText(xml.slice(last, match.index));
    last = match.index! + match[0].length;
    const [, closing, name, attributes, selfClosing] = match;
    if (!/^(\s+[\w:-]+="[^"<>]*")*\s*$/.test(attributes)) problems.push(`bad attributes on <${name}>: ${attributes}`);
    checkText(attributes);
    if (closing) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}>`);
    } else if (!selfClosing) {
      stack.push(name);
    }
  }
  checkText(xml.slice(last));
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`);
  if (!xml.trimStart().startsWith('<svg')) problems.push('does not start with <svg');
  return problems;
}
