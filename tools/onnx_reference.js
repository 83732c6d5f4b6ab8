// tools/onnx_reference.js DIR - ONNX Runtime's output for an ONNX model, for
// tools/make_onnx_fixtures.py and tools/make_onnx_exports.py: runs
// DIR/ort_model.onnx on the X in DIR/x.bin (float32, or int64 token ids when
// DIR/x.json says "dtype": "int64"; shape in DIR/x.json, with "lengths" for
// sequence_lens when given) and writes the first output to DIR/y.bin, its
// shape to DIR/y.json.
// Needs onnxruntime-node (npm install --ignore-scripts onnxruntime-node@1.30.0)
// on NODE_PATH. Never part of rnnc or its tests: it makes fixtures.
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main() {
  const dir = process.argv[2];
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'x.json')));
  const raw = fs.readFileSync(path.join(dir, 'x.bin'));
  const bytes = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length); // aligned for the typed array
  const x = meta.dtype === 'int64' ? new ort.Tensor('int64', new BigInt64Array(bytes), meta.dims)
                                   : new ort.Tensor('float32', new Float32Array(bytes), meta.dims);
  const session = await ort.InferenceSession.create(path.join(dir, 'ort_model.onnx'));
  const feeds = {[meta.input]: x};
  if (meta.lengths)
    feeds[meta.lengths_name] = new ort.Tensor('int32', Int32Array.from(meta.lengths), [meta.lengths.length]);
  const out = (await session.run(feeds))[session.outputNames[0]];
  fs.writeFileSync(path.join(dir, 'y.bin'), Buffer.from(new Float32Array(out.data).buffer));
  fs.writeFileSync(path.join(dir, 'y.json'), JSON.stringify({dims: out.dims}));
}

main().catch((e) => { console.error(e); process.exit(1); });
