// npm run search:rebuild — rebuilds the search index from the database the configuration points at (DATA_DIR or
// DATABASE_URL), with the operator's dictionary, printing progress. An embedded data dir belongs to one process:
// stop the node first (a running node rebuilds through POST /api/v1/admin/search/rebuild instead).
import { sql } from 'kysely';
import { openDatabase } from '../src/adapters/db/index.ts';
import { migrate } from '../src/adapters/db/migrate.ts';
import { loadConfig } from '../src/config.ts';
import { rebuildAll } from '../src/modules/search/indexer.ts';
import { Segmenter, type DictionaryWord } from '../src/modules/search/text.ts';

const config = loadConfig();
const database = await openDatabase(config);
await migrate(database);
const words = (await sql<DictionaryWord>`select word, frequency, tag from search_dictionary`.execute(database.db)).rows;
const started = Date.now();
let shown = 0;
const docs = await rebuildAll(database.db, new Segmenter(words), (done, total) => {
  const pct = total ? Math.floor((100 * done) / total) : 100;
  if (pct >= shown + 5 || done === total) {
    shown = pct;
    process.stderr.write(`\r[search:rebuild] ${done.toLocaleString('en')} / ${total.toLocaleString('en')} rows read (${pct} %)`);
  }
});
await sql`update search_state set watermark = ${new Date(started)} where id = 1`.execute(database.db);
process.stderr.write('\n');
console.log(`search index rebuilt: ${docs.toLocaleString('en')} documents in ${((Date.now() - started) / 1000).toFixed(1)} s (${words.length} dictionary words)`);
await database.close();
