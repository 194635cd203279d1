// Builds templates/plotly/plotly-fiches.min.js and its third-party notices, plotly-THIRD-PARTY.txt,
// from the pinned plotly.js (package.json, package-lock.json): `make plotly-bundle`.
//
// The full plotly.min.js is 4.8 MB: each kaleido browser compiles it when it starts (1 s of CPU)
// and every interactive page downloads it. This bundle holds the same code for the traces fiches
// draws, and so draws the same SVG (tests/test_plotly_bundle.py compares them).
'use strict';

const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const TARGET = path.join(__dirname, '..', '..', 'templates', 'plotly');
const version = require('plotly.js/package.json').version;
const TRACES = ['bar', 'sankey', 'treemap'];

async function main() {
    const result = await esbuild.build({
        entryPoints: [path.join(__dirname, 'entry.js')],
        outfile: path.join(TARGET, 'plotly-fiches.min.js'),
        format: 'iife',
        globalName: 'Plotly',
        bundle: true,
        minify: true,
        target: 'es2016',
        // plotly.js's own build settings (esbuild-config.js in its repository)
        define: {global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false'},
        // the only stylesheet imported is the map traces' one, which is not bundled
        loader: {'.css': 'empty'},
        banner: {js: `/*! plotly.js v${version} (traces: ${TRACES.join(', ')}) | (c) Plotly, Inc. | MIT License | built for fiches by tools/plotly-bundle; third-party notices in plotly-THIRD-PARTY.txt */`},
        legalComments: 'eof',
        metafile: true,
        logLevel: 'warning',
    });
    fs.writeFileSync(path.join(TARGET, 'plotly-THIRD-PARTY.txt'), notices(result.metafile));
}

// One entry per npm package with code in the bundle: name, version, licence and licence text.
function notices(metafile) {
    const packages = new Map();
    const inputs = Object.values(metafile.outputs).find((output) => output.entryPoint).inputs;
    for (const [input, {bytesInOutput}] of Object.entries(inputs)) {
        if (!bytesInOutput || input.endsWith('.css')) continue;  // the map stylesheet, loaded as nothing
        const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g);
        if (!match) continue;
        const dir = input.slice(0, input.lastIndexOf(match[match.length - 1]) + match[match.length - 1].length);
        packages.set(dir, true);
    }
    const entries = [...packages.keys()].map((dir) => {
        const meta = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
        const file = fs.readdirSync(dir).find((name) => /^(licen[cs]e|copying)/i.test(name));
        const text = file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : `License: ${meta.license}`;
        return `${meta.name} ${meta.version} (${meta.license})\n\n${text}\n`;
    });
    const uniq = [...new Set(entries)].sort((a, b) => a.localeCompare(b, 'en'));
    return `Third-party code in plotly-fiches.min.js (plotly.js v${version}, traces ${TRACES.join(', ')}):\n` +
        `${uniq.length} npm packages, each with its licence.\n\n` + uniq.join('\n' + '-'.repeat(72) + '\n\n');
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
