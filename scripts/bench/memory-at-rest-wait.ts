// The bench's wait for memory at rest (lib/memory-at-rest.ts): a service
// gives back what the loads grew its heap by once its event loop has been
// quiet for MEMORY_AT_REST_AFTER, sampled every two seconds, so the moment
// comes a few seconds either side of that wait on a loaded machine. Reading
// memory at a fixed time after the loads raced it (one run in several read the
// figure from before the collection), so the bench waits for each service's
// memory_at_rest_collections_total to go up, and says when it did.

/** A service's collections so far, from its /metrics (a scrape is 10–25 ms of its loop: poll seldom). */
export async function collectionsOf(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^memory_at_rest_collections_total (\d+)$/m.exec(text);
  if (!match) throw new Error(`${url}/metrics has no memory_at_rest_collections_total`);
  return Number(match[1]);
}

/**
 * Waits until every service (name → its base URL, and its collections as its
 * last load ended) has run one more collection, or `giveUpMs` has passed;
 * answers the seconds each took from this call, undefined for one that did not.
 */
export async function waitForMemoryAtRest(
  services: Readonly<Record<string, { url: string; before: number }>>,
  options: { quietForMs: number; pollMs: number; giveUpMs: number },
): Promise<Record<string, number | undefined>> {
  const started = performance.now();
  const took: Record<string, number | undefined> = Object.fromEntries(Object.keys(services).map((name) => [name, undefined]));
  // Nothing can happen before the quiet spell is over: no scrapes meanwhile.
  await new Promise((resolve) => setTimeout(resolve, options.quietForMs));
  while (performance.now() - started < options.giveUpMs) {
    for (const [name, { url, before }] of Object.entries(services))
      if (took[name] === undefined && (await collectionsOf(url)) > before) took[name] = (performance.now() - started) / 1000;
    if (Object.values(took).every((s) => s !== undefined)) break;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
  return took;
}
