import { EventSourceParserStream, type EventSourceMessage } from "eventsource-parser/stream";

export interface ParsedEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** Reads a Server-Sent Events response one event at a time (comments and retry hints are skipped). */
export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<EventSourceMessage>;
  // A read that timed out stays pending; the next call waits on it, so no event is ever dropped.
  private pendingRead: Promise<ReadableStreamReadResult<EventSourceMessage>> | null = null;

  constructor(readonly response: Response) {
    this.reader = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  }

  /** The next event, or null when the stream ended. Fails after `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<ParsedEvent | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      this.pendingRead ??= this.reader.read();
      const { done, value } = await Promise.race([this.pendingRead, timeout]);
      this.pendingRead = null;
      if (done) return null;
      return { id: value.id, event: value.event ?? "message", data: JSON.parse(value.data) as Record<string, unknown> };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves true if no event arrives within `ms`. */
  async quietFor(ms: number): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch {
      return true;
    }
  }

  /** Disconnects, as a client closing the socket would. */
  async close(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }
}
