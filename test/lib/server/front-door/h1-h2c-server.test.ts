import assert from "node:assert/strict";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { DEFAULT_LIMITS, H1H2cServer, startsWithHttp2Preface, type ServerLimits } from "../../../../lib/server/index.js";

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/** An empty SETTINGS frame: length 0, type 4, no flags, stream 0. */
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

describe("H1H2cServer", () => {
  describe("startsWithHttp2Preface", () => {
    const table: Array<{ bytes: string; expected: boolean | undefined }> = [
      { bytes: "", expected: undefined },
      { bytes: "P", expected: undefined },
      { bytes: "PRI * HTTP/2", expected: undefined },
      { bytes: PREFACE.slice(0, 23), expected: undefined },
      { bytes: PREFACE, expected: true },
      { bytes: `${PREFACE}\x00\x00\x00\x04`, expected: true },
      { bytes: "GET / HTTP/1.1\r\n", expected: false },
      { bytes: "POST /x HTTP/1.1\r\n", expected: false },
      { bytes: "PUT", expected: false },
      { bytes: "PRI * HTTP/1.1\r\n", expected: false },
      { bytes: "\x16\x03\x01", expected: false },
    ];
    for (const t of table) {
      it(`${JSON.stringify(t.bytes)} → ${String(t.expected)}`, () => {
        assert.equal(startsWithHttp2Preface(Buffer.from(t.bytes, "latin1")), t.expected);
      });
    }
  });

  describe("one port", () => {
    let server: H1H2cServer;
    let port: number;
    let release: (() => void) | undefined;
    before(async () => {
      server = new H1H2cServer((req, res) => {
        const answer = () => res.end(`${req.httpVersion} ${req.method} ${req.url}`);
        if (req.url === "/slow") release = answer;
        else answer();
      });
      port = await server.listen(0, "127.0.0.1");
    });
    after(() => {
      server.stopAccepting();
      server.destroyConnections();
    });

    it("answers HTTP/1.1", async () => {
      assert.equal(await http1Get(port, "/a"), "1.1 GET /a");
    });

    it("answers h2c with prior knowledge", async () => {
      assert.equal(await h2cGet(port, "/b"), "2.0 GET /b");
    });

    it("answers HTTP/1.1 sent one byte at a time", async () => {
      const socket = net.connect(port, "127.0.0.1");
      const request = "GET /bytes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
      for (const byte of request) {
        socket.write(byte);
        await new Promise((r) => setTimeout(r, 1));
      }
      const text = await new Promise<string>((resolve) => {
        let got = "";
        socket.on("data", (d: Buffer) => (got += d.toString()));
        socket.on("end", () => resolve(got));
      });
      assert.match(text, /^HTTP\/1\.1 200/);
      assert.match(text, /1\.1 GET \/bytes$/);
    });

    it("answers an HTTP/2 preface split across packets", async () => {
      const socket = net.connect(port, "127.0.0.1");
      socket.write(PREFACE.slice(0, 5));
      await new Promise((r) => setTimeout(r, 20));
      socket.write(Buffer.concat([Buffer.from(PREFACE.slice(5), "latin1"), EMPTY_SETTINGS]));
      const frame = await new Promise<Buffer>((resolve) => socket.once("data", resolve));
      socket.destroy();
      assert.equal(frame[3], 4, "the server's first frame is SETTINGS");
    });

    it("drains HTTP/2: the session gets GOAWAY and its stream in flight still completes", async () => {
      const own = new H1H2cServer((req, res) => {
        if (req.url === "/slow") setTimeout(() => res.end("slow done"), 100);
        else res.end("ok");
      });
      const ownPort = await own.listen(0, "127.0.0.1");
      const session = http2.connect(`http://127.0.0.1:${ownPort}`);
      const goaway = new Promise<void>((resolve) => session.once("goaway", () => resolve()));
      const stream = session.request({ ":path": "/slow" });
      let body = "";
      stream.on("data", (d: Buffer) => (body += d.toString()));
      const ended = new Promise<void>((resolve) => stream.on("end", () => resolve()));
      await new Promise((r) => setTimeout(r, 30));
      own.stopAccepting();
      own.drainConnections();
      await goaway;
      await ended;
      assert.equal(body, "slow done");
      session.close();
      own.destroyConnections();
    });

    it("drains: a request in flight finishes, keep-alive closes after it, new connections are refused", async () => {
      const agent = new http.Agent({ keepAlive: true });
      const pending = http1Get(port, "/slow", agent, true);
      while (!release) await new Promise((r) => setTimeout(r, 5));
      server.stopAccepting();
      server.drainConnections();
      assert.equal(server.requestsInFlight, 1);
      release();
      const { body, connection } = await pending;
      assert.equal(body, "1.1 GET /slow");
      assert.equal(connection, "close");
      await assert.rejects(http1Get(port, "/late"), /ECONNREFUSED/);
      agent.destroy();
    });
  });
});

describe("H1H2cServer limits", () => {
  let server: H1H2cServer;
  let port: number;
  const start = async (limits: Partial<ServerLimits>, handler: (res: http.ServerResponse | http2.Http2ServerResponse) => void = (res) => res.end("ok")) => {
    server = new H1H2cServer((_req, res) => handler(res), { ...DEFAULT_LIMITS, ...limits });
    port = await server.listen(0, "127.0.0.1");
  };
  afterEach(() => {
    server.stopAccepting();
    server.destroyConnections();
  });

  /** Opens a connection from `from`; answers whether the server kept it (false: closed at once). */
  const kept = async (from: string, sockets: net.Socket[]): Promise<boolean> => {
    const socket = net.connect({ port, host: "127.0.0.1", localAddress: from });
    socket.on("error", () => {});
    socket.resume();
    sockets.push(socket);
    const closed = new Promise<boolean>((resolve) => socket.once("close", () => resolve(true)));
    await new Promise((r) => socket.once("connect", r));
    return !(await Promise.race([closed, new Promise<boolean>((r) => setTimeout(() => r(false), 200))]));
  };

  it("closes connections over the per-client cap and over the total cap at once; counts them", async () => {
    await start({ maxConnections: 5, maxConnectionsPerClient: 3 });
    const sockets: net.Socket[] = [];
    try {
      const outcomes: boolean[] = [];
      for (let i = 0; i < 4; i++) outcomes.push(await kept("127.0.0.1", sockets));
      for (let i = 0; i < 3; i++) outcomes.push(await kept("127.0.0.3", sockets));
      assert.deepEqual(outcomes, [true, true, true, false, true, true, false], "3 from the first client, then 2 more from another until 5 in all");
      assert.equal(server.connections, 5);
      assert.equal(server.refused.connections, 2);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it("sends GOAWAY ENHANCE_YOUR_CALM to a connection that resets too many streams, and counts it", async () => {
    await start({ h2MaxResetsPer10s: 20 }, () => {}); // never answers: every stream is reset by the client
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    const goaway = new Promise<number>((resolve) => session.once("goaway", (code: number) => resolve(code)));
    for (let round = 0; round < 10 && !session.destroyed; round++) {
      const streams = Array.from({ length: 10 }, () => session.request({ ":method": "POST", ":path": "/" }).on("error", () => {}));
      await new Promise((r) => setImmediate(r)); // HEADERS out first
      for (const stream of streams) stream.close(http2.constants.NGHTTP2_CANCEL);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(await goaway, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    assert.equal(server.refused.resetFloods, 1);
    session.destroy();
  });

  it("closes an idle HTTP/1.1 keep-alive connection after the keep-alive timeout", async () => {
    await start({ keepAliveTimeoutMs: 200 });
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    socket.on("data", (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<boolean>((resolve) => socket.once("close", () => resolve(true)));
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); // keep-alive: HTTP/1.1's default
    const closedInTime = await Promise.race([closed, new Promise<boolean>((r) => setTimeout(() => r(false), 3_000))]);
    socket.destroy();
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.ok(closedInTime, "the idle connection is still open 3 s later");
  });

  /** Resolves with the time a session was sent GOAWAY (or closed), from `since`. */
  const goneAwayAfter = (session: http2.ClientHttp2Session, since: number) =>
    new Promise<number>((resolve) => {
      session.once("goaway", () => resolve(performance.now() - since));
      session.once("close", () => resolve(performance.now() - since));
    });

  it("sends GOAWAY to an HTTP/2 connection idle for the idle timeout, and counts it", async () => {
    await start({ h2IdleTimeoutMs: 200 });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    try {
      const connected = performance.now();
      assert.ok((await goneAwayAfter(session, connected)) >= 150);
      assert.equal(server.refused.timeouts, 1);
    } finally {
      session.destroy();
    }
  });

  it("keeps an HTTP/2 connection while a stream is open longer than the idle timeout, and counts idle time from its last stream's end", async () => {
    let answer: (() => void) | undefined;
    await start({ h2IdleTimeoutMs: 200 }, (res) => (answer = () => res.end("late")));
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    try {
      const stream = session.request({ ":path": "/slow" });
      stream.resume();
      const ended = new Promise((resolve) => stream.on("close", resolve));
      let gone = false;
      session.once("goaway", () => (gone = true));
      await new Promise((resolve) => setTimeout(resolve, 600)); // three idle timeouts, the stream open throughout
      assert.equal(gone, false, "no GOAWAY while a stream is open");
      const lastEnded = performance.now();
      answer!();
      await ended;
      assert.ok((await goneAwayAfter(session, lastEnded)) >= 150, "idle from the stream's end, not from the connection's start");
      assert.equal(server.refused.timeouts, 1);
    } finally {
      session.destroy();
    }
  });

  it("cancels an HTTP/2 stream whose request does not arrive within the request timeout", async () => {
    await start({ headersTimeoutMs: 100, requestTimeoutMs: 200 }, () => {});
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const stream = session.request({ ":method": "POST", ":path": "/" });
      stream.write("a bit of a body, and then nothing");
      const code = await new Promise<number>((resolve) => stream.on("close", () => resolve(stream.rstCode!)).on("error", () => {}));
      assert.equal(code, http2.constants.NGHTTP2_CANCEL);
      assert.equal(server.refused.timeouts, 1);
    } finally {
      session.destroy();
    }
  });

  // A client that stops reading holds its requests in flight (and their admission) for as long as it likes.
  it("resets an HTTP/2 stream whose client takes none of its answer within the send timeout, and counts it", async () => {
    await start({ sendTimeoutMs: 200 }, (res) => res.end(Buffer.alloc(100_000)));
    const session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 0 } }); // never lets a byte through
    session.on("error", () => {});
    try {
      const started = performance.now();
      const stream = session.request({ ":path": "/" }).on("error", () => {});
      stream.pause();
      const code = await new Promise<number>((resolve) => stream.on("close", () => resolve(stream.rstCode!)));
      assert.equal(code, http2.constants.NGHTTP2_CANCEL);
      assert.ok(performance.now() - started >= 190, "not before the send timeout");
      assert.equal(server.requestsInFlight, 0);
      assert.equal(server.refused.timeouts, 1);
    } finally {
      session.destroy();
    }
  });

  it("closes an HTTP/1.1 connection whose client stops reading its answer for the send timeout, and counts it", async () => {
    await start({ sendTimeoutMs: 200 }, (res) => res.end(Buffer.alloc(64 * 1024 * 1024))); // more than the sockets' buffers take
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    try {
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      socket.pause(); // a paused client sees nothing, not even the close: the server's side is what shows it
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(server.connections, 1);
      const deadline = Date.now() + 5_000;
      while (server.connections > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(server.connections, 0, "the connection is still open 5 s later");
      assert.equal(server.requestsInFlight, 0);
      assert.equal(server.refused.timeouts, 1);
    } finally {
      socket.destroy();
    }
  });

  it("cuts neither a handler slower than the send timeout nor an answer its client keeps taking, however slowly", async () => {
    const pieces = 24;
    await start({ sendTimeoutMs: 200 }, (res) => {
      setTimeout(() => {
        for (let i = 0; i < pieces; i++) (res as NodeJS.WritableStream).write(Buffer.alloc(32 * 1024, i)); // the two responses write alike
        res.end();
      }, 500);
    });
    const session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 32 * 1024 } });
    session.on("error", () => {});
    try {
      const stream = session.request({ ":path": "/" });
      let received = 0;
      stream.on("data", (chunk: Buffer) => (received += chunk.length));
      stream.pause();
      // A piece (one window) every 100 ms: the whole answer takes ~2.4 s, twelve send timeouts, each piece well within one.
      const reader = setInterval(() => {
        stream.resume();
        setTimeout(() => stream.pause(), 5);
      }, 100);
      const code = await new Promise<number>((resolve) => stream.on("close", () => resolve(stream.rstCode!)));
      clearInterval(reader);
      assert.equal(code, http2.constants.NGHTTP2_NO_ERROR);
      assert.equal(received, pieces * 32 * 1024);
      assert.equal(server.refused.timeouts, 0);
    } finally {
      session.destroy();
    }
  });
});

function http1Get(port: number, path: string): Promise<string>;
function http1Get(port: number, path: string, agent: http.Agent, withHeaders: true): Promise<{ body: string; connection: string | undefined }>;
function http1Get(port: number, path: string, agent?: http.Agent, withHeaders?: boolean): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, agent: agent ?? false }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve(withHeaders ? { body, connection: res.headers.connection } : body));
      })
      .on("error", reject);
  });
}

function h2cGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({ ":path": path });
    let body = "";
    stream.on("data", (d: Buffer) => (body += d.toString()));
    stream.on("end", () => {
      session.close();
      resolve(body);
    });
    stream.on("error", reject);
  });
}
