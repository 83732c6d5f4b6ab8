// bench/ort_time.js MODEL DIR THREADS REPEAT B:T... - ONNX Runtime's time
// for one call on a whole sequence, for bench/vs_ort.sh: a session on
// MODEL with THREADS intra-op threads (sequential execution, every graph
// optimisation), then for each B:T the input DIR/x_B_T.npy ([B, T, I]
// float32): its output written to DIR/y_ort_B_T.npy (for the check against
// rnnc), three warm-up calls, and the fastest of REPEAT timed calls,
// printed as "B T SECONDS". Needs onnxruntime-node on NODE_PATH.
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

// A float32 .npy file (little-endian, C order) as {dims, data}.
function readNpy(file) {
  const buf = fs.readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + headerLen);
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True"))
    throw new Error(`${file}: not a C-order <f4 array`);
  const dims = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const start = 10 + headerLen;
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
  return {dims, data};
}

function writeNpy(file, dims, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims.join(', ')}${dims.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(new Float32Array(data).buffer)]));
}

async function main() {
  const [model, dir, threads, repeat, ...shapes] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all'});
  for (const bt of shapes) {
    const [B, T] = bt.split(':').map(Number);
    const x = readNpy(path.join(dir, `x_${B}_${T}.npy`));
    const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims)};
    const y = (await session.run(feeds))[session.outputNames[0]];
    writeNpy(path.join(dir, `y_ort_${B}_${T}.npy`), y.dims, y.data);
    for (let i = 0; i < 3; i++)
      await session.run(feeds);
    let best = Infinity;
    for (let i = 0; i < Number(repeat); i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    console.log(`${B} ${T} ${best}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
