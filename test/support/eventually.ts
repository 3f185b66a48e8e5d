/** Answers once `done()` holds (polled every 50 ms), or false after `timeoutMs`. */
export async function eventually(done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await done()) return true;
  return done();
}
