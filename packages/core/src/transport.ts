/**
 * HTTP for one client: an undici `Pool` to the endpoint's origin with keep-alive (or the caller's
 * `dispatcher`), a per-attempt timeout, a cap on the response body, no redirects followed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { Dispatcher, Pool as PoolType } from 'undici';
import { EcsError, fromTransportError, ResponseTooLargeError } from './errors.js';

/**
 * undici's `Pool`, loaded from its own module when that module is where undici 7 keeps it: the
 * package's entry point also loads fetch, WebSocket, EventSource, caches and mocks (~9 MB of RSS
 * and ~130 ms at start), none of which a client needs. Any other layout falls back to the entry
 * point, so an undici upgrade can cost memory but not correctness (a test checks that both give
 * the same class).
 */
function loadPool(): typeof PoolType {
  const require = createRequire(import.meta.url);
  try {
    const Pool = require('undici/lib/dispatcher/pool.js') as unknown;
    if (typeof Pool === 'function' && typeof Pool.prototype?.dispatch === 'function') {
      return Pool as typeof PoolType;
    }
  } catch {
    // fall through
  }
  return (require('undici') as typeof import('undici')).Pool;
}

let PoolClass: typeof PoolType | undefined;

/** @internal The `Pool` class the transport uses (for a test). */
export function poolClass(): typeof PoolType {
  PoolClass ??= loadPool();
  return PoolClass;
}

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
  readonly #deadlines = new Deadlines();
  #closed = false;

  constructor(options: TransportOptions) {
    this.#origin = options.origin;
    this.#host = options.host;
    this.#maxResponseBytes = options.maxResponseBytes;
    this.#owned = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new (poolClass())(options.origin, {
        connections: options.connections,
        pipelining: 1,
        keepAliveTimeout: options.keepAliveTimeoutMs,
      });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * One attempt, dispatched with a handler of our own instead of undici's `request()`: the body is
   * collected straight from the socket's chunks (no Readable stream, no body mixin), capped as it
   * arrives, and decoded once.
   *
   * The per-attempt timeout costs no timer and no AbortController per attempt: every attempt's
   * deadline joins one queue watched by a single timer (with one `timeoutMs` per client,
   * deadlines arrive in order), and an attempt that times out is settled at once and its undici
   * request aborted. The caller's signal gets a listener only when there is one, removed when the
   * attempt settles. Nothing outlives the attempt but its entry in the queue, which is cut loose
   * from the response. Rejects with `signal.reason` when the caller aborts, an
   * {@link EcsError} otherwise.
   */
  request(req: HttpRequest): Promise<HttpResponse> {
    const signal = req.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) {
      return Promise.reject(new EcsError(`ECS client is closed; cannot send ${req.action}`));
    }
    return new Promise<HttpResponse>((resolve, reject) => {
      const exchange = new Exchange(this, req.action, this.#maxResponseBytes, req.timeoutMs, resolve, reject);
      this.#deadlines.add(exchange, req.timeoutMs);
      if (signal !== undefined) exchange.listen(signal);
      try {
        this.#dispatcher.dispatch(
          {
            origin: this.#origin,
            path: req.path,
            method: req.method,
            headers: req.headers,
            body: req.body ?? null,
          },
          exchange,
        );
      } catch (error) {
        exchange.fail(error);
      }
    });
  }

  /** @internal An undici/Node error as ours; `timeoutMs` set means the attempt's timer fired. */
  toError(error: unknown, action: string, timeoutMs: number | undefined): EcsError {
    return fromTransportError(error, { action, host: this.#host, timeoutMs });
  }

  /** @internal Called by an exchange once it has settled. */
  settled(): void {
    this.#deadlines.prune();
  }

  /**
   * Closes the transport: every attempt in flight rejects at once with `reason` (its undici
   * request aborted) and our pool is destroyed; a caller's dispatcher is left open.
   */
  async close(reason: Error = new EcsError('ECS client is closed')): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#deadlines.abortAll(reason);
    if (this.#owned) await this.#dispatcher.destroy();
  }
}

/** The UTF-8 byte order mark, which `body.text()` (WHATWG "UTF-8 decode") drops. */
function decodeUtf8(buf: Buffer): string {
  const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  return bom ? buf.toString('utf8', 3) : buf.toString('utf8');
}

/**
 * One attempt on the wire: an undici dispatch handler that collects the body, plus the promise it
 * settles. Settling is once only; everything after (a late error, an abort's echo) is ignored.
 */
class Exchange implements Dispatcher.DispatchHandler {
  /** Deadline on `performance.now()`'s clock; read by {@link Deadlines}. */
  deadline = 0;
  /** The attempt's own deadline timer, when it has one (see {@link Deadlines.add}); cleared on settle. */
  timer: NodeJS.Timeout | undefined;
  done = false;
  readonly #transport: Transport;
  readonly #action: string;
  readonly #limit: number;
  readonly #timeoutMs: number;
  #resolve: ((res: HttpResponse) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  /** Set when we gave up before undici handed us its controller: abort as soon as it does. */
  #abortReason: Error | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  #statusCode = 0;
  #headers: IncomingHttpHeaders | undefined;
  #chunks: Buffer[] | undefined;
  #size = 0;

  constructor(
    transport: Transport,
    action: string,
    limit: number,
    timeoutMs: number,
    resolve: (res: HttpResponse) => void,
    reject: (error: unknown) => void,
  ) {
    this.#transport = transport;
    this.#action = action;
    this.#limit = limit;
    this.#timeoutMs = timeoutMs;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  listen(signal: AbortSignal): void {
    this.#signal = signal;
    this.#onAbort = () => this.#giveUp(signal.reason, signal.reason);
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Called by {@link Deadlines} when the attempt ran past `timeoutMs`. */
  timeout(): void {
    const cause = new DOMException('This operation was aborted', 'AbortError');
    this.#giveUp(this.#transport.toError(cause, this.#action, this.#timeoutMs), cause);
  }

  /** The client was closed: give up with `reason`. */
  abort(reason: Error): void {
    this.#giveUp(reason, reason);
  }

  /** A synchronous failure of `dispatch` itself. */
  fail(error: unknown): void {
    this.#settle(undefined, this.#transport.toError(error, this.#action, undefined));
  }

  /** Settles with `error` and aborts the undici request (now, or when it starts). */
  #giveUp(error: unknown, abortReason: unknown): void {
    if (this.done) return;
    const controller = this.#controller;
    this.#settle(undefined, error);
    const reason = abortReason instanceof Error ? abortReason : new DOMException('Aborted', 'AbortError');
    if (controller === undefined) this.#abortReason = reason;
    else controller.abort(reason);
  }

  #settle(res: HttpResponse | undefined, error?: unknown): void {
    if (this.done) return;
    this.done = true;
    const resolve = this.#resolve!;
    const reject = this.#reject!;
    this.#resolve = undefined;
    this.#reject = undefined;
    this.#chunks = undefined;
    this.#headers = undefined;
    this.#controller = undefined;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.#onAbort !== undefined) {
      this.#signal!.removeEventListener('abort', this.#onAbort);
      this.#onAbort = undefined;
      this.#signal = undefined;
    }
    this.#transport.settled();
    if (res === undefined) reject(error);
    else resolve(res);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.#abortReason !== undefined) {
      controller.abort(this.#abortReason);
      this.#abortReason = undefined;
      return;
    }
    if (!this.done) this.#controller = controller;
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (this.done || statusCode < 200) return; // 1xx: informational, the real answer follows
    const rawLength = headers['content-length'];
    const declared = typeof rawLength === 'string' && rawLength !== '' ? Number(rawLength) : -1;
    if (declared > this.#limit) {
      // Refused on the header alone: the socket is closed, not reused.
      this.#giveUp(new ResponseTooLargeError(this.#limit, this.#action), undefined);
      return;
    }
    this.#statusCode = statusCode;
    this.#headers = headers;
    this.#chunks = [];
    this.#size = 0;
    if (this.#controller === undefined) this.#controller = controller;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const chunks = this.#chunks;
    if (chunks === undefined) return;
    this.#size += chunk.length;
    if (this.#size > this.#limit) {
      this.#giveUp(new ResponseTooLargeError(this.#limit, this.#action), undefined);
      return;
    }
    chunks.push(chunk);
  }

  onResponseEnd(): void {
    const chunks = this.#chunks;
    if (this.done || chunks === undefined) return;
    const body =
      chunks.length === 0
        ? ''
        : decodeUtf8(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size));
    this.#settle({
      statusCode: this.#statusCode,
      headers: this.#headers as Record<string, string | string[] | undefined>,
      body,
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.done) return;
    this.#settle(undefined, this.#transport.toError(error, this.#action, undefined));
  }
}

/**
 * The deadlines of the attempts in flight, oldest first, watched by one timer. The timer is ref'd
 * (an attempt waiting for a pool slot has no socket keeping the process alive) and cleared as soon
 * as no attempt in the queue is pending, so nothing outlives the last settled attempt. Attempts
 * of one client share `timeoutMs`, so deadlines arrive in order and the head is always the next
 * to expire; an attempt whose deadline would be earlier than the tail's (a smaller `timeoutMs`)
 * gets its own timer instead. Settled attempts are dropped from the head as they settle.
 */
class Deadlines {
  #queue: Exchange[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Attempts with a timer of their own (a shorter `timeoutMs`), until they settle. */
  readonly #own = new Set<Exchange>();

  add(exchange: Exchange, timeoutMs: number): void {
    const deadline = performance.now() + timeoutMs;
    exchange.deadline = deadline;
    const q = this.#queue;
    if (q.length > this.#head && q[q.length - 1]!.deadline > deadline) {
      // Cleared when the exchange settles.
      exchange.timer = setTimeout(() => {
        this.#own.delete(exchange);
        exchange.timeout();
      }, timeoutMs);
      this.#own.add(exchange);
      return;
    }
    q.push(exchange);
    if (this.#timer === undefined) this.#arm(deadline);
  }

  /** Settles every attempt still pending with `reason` (the client was closed). */
  abortAll(reason: Error): void {
    const pending = this.#queue.slice(this.#head);
    for (const e of this.#own) pending.push(e);
    this.#own.clear();
    for (const e of pending) if (!e.done) e.abort(reason);
    this.prune();
  }

  /** Drops settled attempts from the head (cheap: called once per settled attempt). */
  prune(): void {
    if (this.#own.size > 0) for (const e of this.#own) if (e.done) this.#own.delete(e);
    const q = this.#queue;
    let head = this.#head;
    while (head < q.length && q[head]!.done) head++;
    if (head === q.length) {
      q.length = 0;
      this.#head = 0;
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    } else if (head > 1024 && head * 2 > q.length) {
      this.#queue = q.slice(head);
      this.#head = 0;
    } else {
      this.#head = head;
    }
  }

  #arm(at: number): void {
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(at - performance.now())));
  }

  /** Times out every expired attempt at the head, then waits for the next deadline. */
  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    for (;;) {
      this.prune();
      const e = this.#queue[this.#head];
      if (e === undefined) return;
      if (e.deadline > now) {
        this.#arm(e.deadline);
        return;
      }
      e.timeout(); // settles it: the next prune drops it
    }
  };
}
