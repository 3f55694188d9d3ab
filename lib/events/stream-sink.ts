/**
 * The writable end of one SSE response: a ReadableStream the route handler returns, fed by the hub.
 * It holds no timer and no closure over the request, so an idle connection costs a few small objects.
 */
export class StreamSink {
  readonly body: ReadableStream<Uint8Array>;
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  private closed = false;

  /**
   * @param maxBufferedBytes a client whose unread backlog passes this is cut off, so a reader that
   *   stalls can never grow server memory.
   * @param onClose runs exactly once, whether the client left, was cut off, or the server closed it.
   */
  constructor(
    private readonly maxBufferedBytes: number,
    private readonly onClose: () => void,
  ) {
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        cancel: () => this.finish(),
      },
      // Counted in bytes. The high-water mark is 0: bytes wait here only while the client is not reading.
      { highWaterMark: 0, size: (chunk) => chunk.byteLength },
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues bytes for the client. Returns false, and closes, when the client has fallen too far behind. */
  write(chunk: Uint8Array): boolean {
    if (this.closed || !this.controller) return false;
    if ((this.controller.desiredSize ?? 0) < -this.maxBufferedBytes) {
      this.close();
      return false;
    }
    this.controller.enqueue(chunk);
    return true;
  }

  /** Ends the stream, after `lastFrame` when given. */
  close(lastFrame?: Uint8Array): void {
    if (this.closed) return;
    if (lastFrame) this.write(lastFrame);
    try {
      this.controller?.close();
    } catch {
      // Already errored or cancelled by the consumer.
    }
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller = null;
    this.onClose();
  }
}
