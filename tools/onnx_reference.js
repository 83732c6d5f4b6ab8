// tools/onnx_reference.js DIR - ONNX Runtime's output for an ONNX model, for
// tools/make_onnx_fixtures.py: runs DIR/ort_model.onnx on the float32 X in
// DIR/x.bin (shape in DIR/x.json, with "lengths" for sequence_lens when
// given) and writes the first output to DIR/y.bin, its shape to DIR/y.json.
// Needs onnxruntime-node (npm install --ignore-scripts onnxruntime-node@1.30.0)
// on NODE_PATH. Never part of rnnc or its tests: it makes fixtures.
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main() {
  const dir = process.argv[2];
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'x.json')));
  const raw = fs.readFileSync(path.join(dir, 'x.bin'));
  const x = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  const session = await ort.InferenceSession.create(path.join(dir, 'ort_model.onnx'));
  const feeds = {[meta.input]: new ort.Tensor('float32', x, meta.dims)};
  if (meta.lengths)
    feeds[meta.lengths_name] = new ort.Tensor('int32', Int32Array.from(meta.lengths), [meta.lengths.length]);
  const out = (await session.run(feeds))[session.outputNames[0]];
  fs.writeFileSync(path.join(dir, 'y.bin'), Buffer.from(new Float32Array(out.data).buffer));
  fs.writeFileSync(path.join(dir, 'y.json'), JSON.stringify({dims: out.dims}));
}

main().catch((e) => { console.error(e); process.exit(1); });
