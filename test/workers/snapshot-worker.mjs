// The worker side of test/snapshot-worker.test.ts (Node worker_threads):
// restores the image it is sent, with the package as built (dist/node.js),
// checks every entry of every map against the expected entries the test
// sends beside the image, applies the writes it is told to, collects, and
// snapshots its maps back to the test (transferring the bytes). Every
// failure comes back as a message (name, reason, message): the worker
// stays alive for the next request.
import { parentPort } from "node:worker_threads";
import { Runtime, SnapshotError } from "../../dist/node.js";

/** Mismatches between a map and its expected entries (at most `limit`).
 *  `keys`/`values` are parallel arrays (or typed arrays). NaN keys are
 *  never found by get (as in Go), so those are compared by iteration; the
 *  iteration also checks that every stored key is the expected one exactly
 *  (-0 stays -0). */
function verify(name, m, keys, values, limit = 10) {
  const bad = [];
  const note = (s) => bad.length < limit && bad.push(`${name}: ${s}`);
  if (m.size !== keys.length) note(`size ${m.size}, expected ${keys.length}`);
  const byKey = new Map();
  const nanValues = [];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const v = values[i];
    if (typeof k === "number" && Number.isNaN(k)) {
      nanValues.push(v);
      continue;
    }
    byKey.set(k, i);
    const got = m.get(k);
    if (!Object.is(got, v)) note(`get(${String(k)}) = ${String(got)}, expected ${String(v)}`);
  }
  let n = 0;
  const nanSeen = [];
  for (const [k, v] of m) {
    n++;
    if (typeof k === "number" && Number.isNaN(k)) {
      nanSeen.push(v);
      continue;
    }
    const i = byKey.get(k);
    if (i === undefined || !Object.is(keys[i], k) || !Object.is(values[i], v))
      note(
        `iteration gave ${Object.is(k, -0) ? "-0" : String(k)} => ${String(v)}, expected ${i === undefined ? "no such key" : String(values[i])}`,
      );
  }
  if (n !== keys.length) note(`iteration gave ${n} entries, expected ${keys.length}`);
  const sorted = (a) => a.map(String).sort().join(",");
  if (sorted(nanSeen) !== sorted(nanValues))
    note(`NaN keys hold [${sorted(nanSeen)}], expected [${sorted(nanValues)}]`);
  return bad;
}

function describeError(e) {
  return {
    name: e?.name ?? typeof e,
    message: String(e?.message ?? e),
    reason: e instanceof SnapshotError ? e.reason : undefined,
    isSnapshotError: e instanceof SnapshotError,
  };
}

async function handle(msg) {
  const { rt, maps } = await Runtime.restore(msg.image, msg.options);
  try {
    const names = Object.keys(maps).sort();
    const mismatches = [];
    const info = {};
    for (const name of names) {
      const s = rt.inspect(maps[name]);
      info[name] = {
        key: maps[name].keyType,
        value: maps[name].valueType,
        size: maps[name].size,
        hash0: s.hash0,
        growing: s.growing,
        buckets: s.buckets,
      };
    }
    for (const [name, { keys, values }] of Object.entries(msg.expect ?? {})) {
      if (!maps[name]) mismatches.push(`${name}: not restored`);
      else mismatches.push(...verify(name, maps[name], keys, values));
    }
    for (const [name, w] of Object.entries(msg.writes ?? {})) {
      const m = maps[name];
      for (let i = 0; i < (w.set?.keys.length ?? 0); i++) m.set(w.set.keys[i], w.set.values[i]);
      for (const k of w.del ?? []) m.delete(k);
    }
    let image;
    if (msg.back) {
      rt.gc();
      image = rt.snapshot({ maps });
    }
    return { ok: true, names, info, mismatches, image };
  } finally {
    rt.close();
  }
}

parentPort.on("message", async (msg) => {
  let reply;
  try {
    reply = { id: msg.id, ...(await handle(msg)) };
  } catch (e) {
    reply = { id: msg.id, ok: false, error: describeError(e) };
  }
  parentPort.postMessage(reply, reply.image ? [reply.image.buffer] : []);
});
