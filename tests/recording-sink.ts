import type { StreamSink } from "@/lib/events/stream-sink";

export interface Frame {
  id: number | null;
  event: string | null;
  data: Record<string, unknown> | null;
}

/** A sink that keeps what the stream writes, parsed (the retry hint is left out). `onClose` runs when it is closed. */
export function recordingSink(onClose: () => void = () => {}): StreamSink & { frames: Frame[] } {
  const decoder = new TextDecoder();
  const sink = {
    frames: [] as Frame[],
    isClosed: false,
    write(chunk: Uint8Array) {
      if (!(chunk instanceof Uint8Array)) throw new TypeError("a stream wrote something other than bytes");
      const text = decoder.decode(chunk);
      const field = (name: string) => new RegExp(`^${name}: ?(.*)$`, "m").exec(text)?.[1] ?? null;
      if (field("event") === null && field("data") === null) return true;
      const id = field("id");
      const data = field("data");
      sink.frames.push({ id: id === null ? null : Number(id), event: field("event"), data: data === null ? null : (JSON.parse(data) as Record<string, unknown>) });
      return true;
    },
    close() {
      if (sink.isClosed) return;
      sink.isClosed = true;
      onClose();
    },
  };
  return sink;
}
