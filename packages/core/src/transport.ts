/**
 * HTTP for one client: an undici `Pool` to the endpoint's origin with keep-alive (or the caller's
 * `dispatcher`), a per-attempt timeout, a cap on the response body, no redirects followed.
 */
import { type Dispatcher, Pool } from 'undici';
import { EcsError, fromTransportError, ResponseTooLargeError } from './errors.js';

export interface TransportOptions {
  readonly origin: string;
  readonly host: string;
  /** A caller-owned dispatcher (tests, proxies); not closed by {@link Transport.close}. */
  readonly dispatcher?: Dispatcher | undefined;
  /** Sockets in our own pool. */
  readonly connections: number;
  readonly maxResponseBytes: number;
  readonly keepAliveTimeoutMs: number;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  /** Path and query, e.g. `/?InstanceId.1=i-1&RegionId=cn-hangzhou`. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | undefined;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** For error messages. */
  readonly action: string;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export class Transport {
  readonly #origin: string;
  readonly #host: string;
  readonly #dispatcher: Dispatcher;
  readonly #owned: boolean;
  readonly #maxResponseBytes: number;
  #closed = false;

  constructor(options: TransportOptions) {
    this.#origin = options.origin;
    this.#host = options.host;
    this.#maxResponseBytes = options.maxResponseBytes;
    this.#owned = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Pool(options.origin, {
        connections: options.connections,
        pipelining: 1,
        keepAliveTimeout: options.keepAliveTimeoutMs,
      });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * One attempt. The per-attempt timer is our own `setTimeout` (unref'd, cleared in `finally`)
   * feeding one AbortController together with the caller's signal: the same effect as
   * `AbortSignal.any([signal, AbortSignal.timeout(ms)])`, but nothing outlives the attempt (an
   * `AbortSignal.timeout` timer would stay armed for the full `timeoutMs` after every request).
   * Rejects with `signal.reason` when the caller aborts, an {@link EcsError} otherwise.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const signal = req.signal;
    signal?.throwIfAborted();
    if (this.#closed) throw new EcsError(`ECS client is closed; cannot send ${req.action}`);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, req.timeoutMs);
    timer.unref();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.#dispatcher.request({
        origin: this.#origin,
        path: req.path,
        method: req.method,
        headers: req.headers,
        body: req.body ?? null,
        signal: controller.signal,
      });
      const body = await this.#readBody(res, req.action);
      return { statusCode: res.statusCode, headers: res.headers, body };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw fromTransportError(error, {
        action: req.action,
        host: this.#host,
        timeoutMs: timedOut ? req.timeoutMs : undefined,
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #readBody(res: Dispatcher.ResponseData, action: string): Promise<string> {
    const limit = this.#maxResponseBytes;
    const rawLength = res.headers['content-length'];
    const declared = typeof rawLength === 'string' && rawLength !== '' ? Number(rawLength) : -1;
    if (declared > limit) {
      discard(res.body);
      throw new ResponseTooLargeError(limit, action);
    }
    // undici fails a body that does not match its content-length, so a declared size within the
    // cap can be read in one go (faster); otherwise stream and count.
    if (declared >= 0) return res.body.text();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        discard(res.body);
        throw new ResponseTooLargeError(limit, action);
      }
      chunks.push(chunk);
    }
    return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
  }

  /** Closes our pool (waiting for requests in flight); a caller's dispatcher is left open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await this.#dispatcher.close();
  }
}

/**
 * Drops a response body we refuse to read. Destroying an undici body emits an `AbortError` on the
 * stream; with nobody listening that would surface as an uncaught exception in the caller's
 * process, so a no-op listener takes it. The socket is closed, not reused.
 */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}
