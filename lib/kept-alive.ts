// One HTTP(S) request over a kept-alive agent, its answer read whole. Hand-written over node:http(s) rather than
// fetch: the agents carry the cluster's CA and client certificate, or a tenant service's private CA.
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** An answer: its status and its body as text. */
export interface Answer {
  status: number;
  text: string;
}

/** A failure to send on a kept-alive socket that the peer (or the network) had already dropped. */
class StaleSocketError extends Error {}

function send(url: URL | string, options: RequestOptions, body: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = (String(url).startsWith('https:') ? httpsRequest : httpRequest)(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // Node's own advice: a reset on a reused socket means the request never reached a live connection.
      if (req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE'))
        reject(new StaleSocketError(err.message, { cause: err }));
      else reject(err);
    });
    req.end(body);
  });
}

/**
 * Sends the request, and once more on a fresh connection when a kept-alive one had been dropped under it (by the peer,
 * or while a Lambda was frozen): callers send only requests that are safe to repeat. A second drop throws its cause.
 */
export async function sendKeptAlive(url: URL | string, options: RequestOptions, body?: string): Promise<Answer> {
  try {
    return await send(url, options, body);
  } catch (err) {
    if (!(err instanceof StaleSocketError)) throw err;
  }
  return send(url, options, body).catch((err: unknown) => {
    throw err instanceof StaleSocketError ? err.cause : err;
  });
}
