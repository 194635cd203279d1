// plotly.js with the three trace types fiches draws: the PDF's treemap and Sankeys (through
// kaleido) and the interactive pages' balance bars, treemap and Sankeys.
'use strict';

var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/sankey'),
    require('plotly.js/lib/treemap'),
]);

module.exports = Plotly;
