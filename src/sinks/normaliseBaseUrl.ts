/** Turns `host:port` or an http(s) URL into a base URL without a trailing slash. */
export function normaliseBaseUrl(host: unknown): string {
  if (typeof host !== 'string' || host.trim() === '') {
    throw new TypeError(`Expected \`host\` to be a non-empty string such as 'localhost:8080', got ${JSON.stringify(host)}`);
  }
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(host.trim()) ? host.trim() : `http://${host.trim()}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Expected \`host\` to be 'host:port' or an http(s) URL, got ${JSON.stringify(host)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Expected \`host\` to use http or https, got ${JSON.stringify(url.protocol)}`);
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in the URL would end up in logs and error messages.
    throw new TypeError('Expected `host` without credentials; pass `username` and `password` instead');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError(`Expected \`host\` without a query or fragment, got ${JSON.stringify(host)}`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
