// Node's two servers' types and headers, as the rest of lib/ takes them.
import assert from "node:assert/strict";
import { toFetchHeaders } from "../../../lib/http/node-http.js";

describe("toFetchHeaders: Node's headers as fetch Headers", () => {
  const table: Array<{ case: string; from: Record<string, string | string[] | undefined>; skip?: string[]; headers: Array<[string, string]> }> = [
    {
      case: "plain values",
      from: { "content-type": "application/json", "x-a": "1" },
      headers: [
        ["content-type", "application/json"],
        ["x-a", "1"],
      ],
    },
    { case: "pseudo-headers left out", from: { ":status": "200", ":path": "/x", "x-a": "1" }, headers: [["x-a", "1"]] },
    {
      case: "repeated values appended",
      from: { "set-cookie": ["a=1", "b=2"] },
      headers: [
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
      ],
    },
    { case: "undefined values left out", from: { "x-a": undefined, "x-b": "2" }, headers: [["x-b", "2"]] },
    { case: "names to skip left out", from: { host: "h", "x-a": "1" }, skip: ["host"], headers: [["x-a", "1"]] },
  ];
  for (const t of table) {
    it(t.case, () => {
      const headers = toFetchHeaders(t.from, t.skip && new Set(t.skip));
      const pairs: Array<[string, string]> = [];
      for (const name of [...new Set([...headers.keys()])]) {
        if (name === "set-cookie") for (const v of headers.getSetCookie()) pairs.push([name, v]);
        else pairs.push([name, headers.get(name)!]);
      }
      assert.deepEqual(pairs, t.headers);
    });
  }
});
