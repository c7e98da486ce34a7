// npm run eval — the evaluations of the project in one run, each printing its table (markdown, for BENCHMARKS.md):
//   feed      the feed's offline evaluation on MovieLens against popularity, ItemKNN and EASE (issue 16, eval/feed.ts)
//   feed-sim  the feed simulator: friends' signals, new creators, boosts, repeats, GMV against newest-first (issue 16, eval/feed-sim.ts)
// Pick parts with `npm run eval -- feed` (default: all). Progress goes to stderr, tables to stdout. EVAL_SEED=n: other
// seeded splits (default 16).

const say = (msg: string) => process.stderr.write(`[eval ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** Each part: its section title and what prints its table. Adding an evaluation is one entry here. */
const PARTS: Record<string, { title: string; run: () => Promise<string> }> = {
  feed: {
    title: 'Feed: offline evaluation on MovieLens',
    run: async () => {
      const { DEFAULT_OFFLINE, offlineTable, rankerWeights, runOfflineEval } = await import('./feed.ts');
      const run = runOfflineEval({ ...DEFAULT_OFFLINE, seed: Number(process.env.EVAL_SEED ?? DEFAULT_OFFLINE.seed), log: (m) => say(`feed: ${m}`) });
      for (const p of run.results) say(`feed: ${p.protocol} ranker weights: ${rankerWeights(p)}`);
      return offlineTable(run);
    },
  },
  'feed-sim': {
    title: 'Feed: simulation (social graph, creators, boosts)',
    run: async () => {
      const { DEFAULT_SIM, runFeedSimulation, simulationTable } = await import('./feed-sim.ts');
      const opts = { ...DEFAULT_SIM, log: (m: string) => say(`feed-sim: ${m}`) };
      return simulationTable(await runFeedSimulation(opts), opts);
    },
  },
};

const args = process.argv.slice(2);
const unknown = args.filter((a) => !(a in PARTS));
if (unknown.length > 0) {
  console.error(`unknown part(s): ${unknown.join(', ')}; choose from ${Object.keys(PARTS).join(', ')}`);
  process.exit(2);
}
const chosen = args.length ? [...new Set(args)] : Object.keys(PARTS);

const started = performance.now();
const sections: string[] = [];
for (const name of chosen) {
  const t0 = performance.now();
  say(`${name}: starting`);
  const text = `## ${PARTS[name].title}\n\n${await PARTS[name].run()}\n`;
  say(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  sections.push(text);
  console.log(text);
}
if (sections.length > 1) console.log(`\n# All tables of this run\n\n${sections.join('\n')}`);
say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
