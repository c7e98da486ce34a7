// Embedded PGlite on a thread of its own. PGlite is PostgreSQL compiled to WebAssembly: every statement
// runs on the thread that calls it, and a drop's group-commit batch costs it 100–150 µs per order here. On
// the node's main thread that time is taken from parsing requests and answering buyers; on this thread it
// runs beside them, on the machine's other core. The main thread sends one message per statement and gets
// the rows back (ThreadedPGlite in embedded.ts); statements run one at a time, in the order they arrive, as
// on PGlite's one connection, and a commit is answered only once PGlite has written it.
// Plain JavaScript: a worker thread does not inherit the tsx loader of the main thread.
//   request: [id, 'query', sql, params] | [id, 'exec', sql] | [id, 'close']
//   reply:   [id, true, rows, affectedRows] | [id, false, errorFields]; id 0 answers the opening
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

const INT8 = 20;

/** A database error as plain fields (code, detail, constraint, …), so the main thread can rebuild it. */
function errorFields(err) {
  if (!(err instanceof Error)) return { message: String(err) };
  const fields = { message: err.message, name: err.name };
  for (const [k, v] of Object.entries(err)) if (typeof v === 'string' || typeof v === 'number') fields[k] = v;
  return fields;
}

const port = parentPort;
const opened = PGlite.create({ dataDir: workerData.dataDir, parsers: { [INT8]: (v) => Number(v) }, extensions: { pg_trgm }, postgresqlconf: workerData.postgresqlconf });
let queue = opened;
port.on('message', (msg) => {
  queue = queue.then(async () => {
    const pg = await opened;
    const id = msg[0];
    try {
      if (msg[1] === 'query') {
        const result = await pg.query(msg[2], msg[3]);
        port.postMessage([id, true, result.rows, result.affectedRows]);
      } else if (msg[1] === 'exec') {
        await pg.exec(msg[2]);
        port.postMessage([id, true, [], undefined]);
      } else {
        await pg.close();
        port.postMessage([id, true, [], undefined]);
      }
    } catch (err) {
      port.postMessage([id, false, errorFields(err)]);
    }
  });
});
opened.then(
  () => port.postMessage([0, true, [], undefined]),
  (err) => port.postMessage([0, false, errorFields(err)]),
);
