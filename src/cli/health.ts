// `policy-engine health [--url URL]`: exits 0 when the daemon at URL is ready
// to serve (GET /health/ready answers 200), 1 otherwise — for the Docker
// HEALTHCHECK and scripts. Prints one line saying which.

const DEFAULT_URL = 'http://localhost:8080';

export async function healthCommand(o: { url?: string; timeout: string }): Promise<number> {
  const base = (o.url ?? DEFAULT_URL).replace(/\/+$/, '');
  const timeoutMs = Number(o.timeout);
  let url: URL;
  try {
    url = new URL(`${base}/health/ready`);
  } catch {
    console.error(`error: --url ${base} is not a URL; e.g. http://localhost:8080`);
    return 2;
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 5000) });
    const body = await res.text();
    if (res.status === 200) {
      console.log(`ready: ${url.href} answered 200`);
      return 0;
    }
    console.log(`not ready: ${url.href} answered ${res.status}${body ? ` ${body.slice(0, 200)}` : ''}`);
    return 1;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e instanceof Error ? e.message : String(e));
    console.log(`not ready: ${url.href} did not answer (${cause})`);
    return 1;
  }
}
