// Node-RED finds a node's editor file by renaming its .js to .html, and the build copies only
// nodes/*.html, so the driver writes these small files beside the compiled bench nodes before
// the runtime starts. They exist so the types load cleanly and can be opened in an editor.
import fs from 'node:fs';
import path from 'node:path';

function editorHtml(type: string, inputs: number, outputs: number, help: string): string {
  return `<script type="text/javascript">
  RED.nodes.registerType('${type}', {
    category: 'benchmark',
    color: '#c0c0c0',
    defaults: { name: { value: '' } },
    inputs: ${inputs},
    outputs: ${outputs},
    icon: 'font-awesome/fa-tachometer',
    label: function () { return this.name || '${type}'; }
  });
</script>
<script type="text/html" data-template-name="${type}">
  <div class="form-row">
    <label for="node-input-name"><i class="fa fa-tag"></i> Name</label>
    <input type="text" id="node-input-name">
  </div>
</script>
<script type="text/html" data-help-name="${type}">
  <p>${help}</p>
</script>
`;
}

export function writeEditorFiles(nodesDir: string): void {
  fs.writeFileSync(
    path.join(nodesDir, 'bench-source.html'),
    editorHtml('bench-source', 0, 1, 'Benchmark source, driven by <code>npm run bench</code>; it does nothing on its own.'),
  );
  fs.writeFileSync(
    path.join(nodesDir, 'bench-sink.html'),
    editorHtml('bench-sink', 1, 0, 'Benchmark sink: counts messages and their latency for <code>npm run bench</code>.'),
  );
  fs.writeFileSync(
    path.join(nodesDir, 'bench-pass.html'),
    editorHtml('bench-pass', 1, 1, 'Benchmark pass-through: sends every message on unchanged, the hop any node sits on.'),
  );
}
