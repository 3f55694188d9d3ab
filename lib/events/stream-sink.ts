import type { ServerResponse } from "node:http";

/**
 * The writable end of one SSE response, fed by the hub. Two kinds, one per adapter: a web ReadableStream a
 * route handler returns (WebStreamSink), and a node:http response the server entry writes to directly
 * (NodeResponseSink). Neither holds a timer or a closure over the request, so an idle stream costs a few
 * small objects.
 */
export interface StreamSink {
  readonly isClosed: boolean;
  /** Queues bytes for the client. Returns false, and closes, when the client has fallen too far behind. */
  write(chunk: Uint8Array): boolean;
  /** Ends the stream, after `lastFrame` when given. */
  close(lastFrame?: Uint8Array): void;
}

/** Makes the sink of one response; `onClose` runs exactly once, whether the client left, was cut off, or the server closed it. */
export type SinkFactory = (onClose: () => void) => StreamSink;

/**
 * Counts synchronous runs of writes ("bursts"): all the frames of a replay, or of one delivery of the log to every
 * stream, are written in one run, and the counter moves on once the run ends. One microtask per burst, whatever
 * the number of streams.
 */
let burst = 0;
let burstEnding = false;
function currentBurst(): number {
  if (!burstEnding) {
    burstEnding = true;
    queueMicrotask(() => {
      burst++;
      burstEnding = false;
    });
  }
  return burst;
}

/** Runs the close callback once, whoever ends the stream first; and tells a client that has fallen too far behind. */
abstract class OnceClosed {
  private closed = false;
  private burst = -1;
  private backlogBeforeBurst = 0;

  constructor(private readonly onClose: () => void) {}

  /**
   * Whether the client is too far behind: more than `max` bytes were still unread when the current burst of
   * writes began. What the burst itself adds does not count: a client that resumes after missing a lot gets its
   * whole replay at once, and must be given the chance to read it.
   */
  protected isTooFarBehind(backlog: number, max: number): boolean {
    const current = currentBurst();
    if (this.burst !== current) {
      this.burst = current;
      this.backlogBeforeBurst = backlog;
    }
    return this.backlogBeforeBurst > max;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  protected finish(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.onClose();
    return true;
  }
}

/** A route handler's SSE body: bytes wait in the stream's queue only while the client is not reading. */
export class WebStreamSink extends OnceClosed implements StreamSink {
  readonly body: ReadableStream<Uint8Array>;
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;

  /**
   * @param maxBufferedBytes a client whose unread backlog passes this is cut off, so a stalled reader never grows
   * memory beyond it and one burst.
   */
  constructor(
    private readonly maxBufferedBytes: number,
    onClose: () => void,
  ) {
    super(onClose);
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        cancel: () => {
          this.finish();
        },
      },
      // Counted in bytes. The high-water mark is 0: bytes wait here only while the client is not reading.
      { highWaterMark: 0, size: (chunk) => chunk.byteLength },
    );
  }

  write(chunk: Uint8Array): boolean {
    if (this.isClosed || !this.controller) return false;
    if (this.isTooFarBehind(-(this.controller.desiredSize ?? 0), this.maxBufferedBytes)) {
      this.close();
      return false;
    }
    this.controller.enqueue(chunk);
    return true;
  }

  close(lastFrame?: Uint8Array): void {
    if (this.isClosed) return;
    if (lastFrame) this.write(lastFrame);
    try {
      this.controller?.close();
    } catch {
      // Already errored or cancelled by the consumer.
    }
    this.controller = null;
    this.finish();
  }
}

/**
 * A node:http response written directly, for the server entry's lean path: each frame is one `write` to the
 * socket. The status line and the SSE headers go out with the first frame, so a stream that fails before it
 * starts can still answer an error.
 */
export class NodeResponseSink extends OnceClosed implements StreamSink {
  constructor(
    private readonly response: ServerResponse,
    private readonly headers: Record<string, string>,
    private readonly maxBufferedBytes: number,
    onClose: () => void,
  ) {
    super(onClose);
    response.once("close", () => this.finish());
  }

  /** Whether the stream has started (and its status line gone out). */
  get started(): boolean {
    return this.response.headersSent;
  }

  write(chunk: Uint8Array): boolean {
    if (this.isClosed) return false;
    if (this.isTooFarBehind(this.response.writableLength, this.maxBufferedBytes)) {
      this.response.destroy();
      this.finish();
      return false;
    }
    if (!this.response.headersSent) this.response.writeHead(200, this.headers);
    this.response.write(chunk);
    return true;
  }

  close(lastFrame?: Uint8Array): void {
    if (this.isClosed) return;
    if (lastFrame) this.write(lastFrame);
    if (this.response.headersSent) this.response.end();
    this.finish();
  }
}
