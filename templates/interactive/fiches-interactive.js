/* Draws a factsheet's interactive charts from the page's <script type="application/json" id="figures">
 * block, with the plotly.js shipped beside the pages. No network, no inline script, no eval. */
(function () {
  "use strict";

  var FADED = 0.08;
  var HIGHLIGHTED = 0.85;

  function withAlpha(colour, alpha) {
    var rgb = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/.exec(colour);
    if (rgb) {
      return "rgba(" + rgb[1] + ", " + rgb[2] + ", " + rgb[3] + ", " + alpha + ")";
    }
    var hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
    if (hex) {
      return "rgba(" + parseInt(hex[1], 16) + ", " + parseInt(hex[2], 16) + ", " + parseInt(hex[3], 16) + ", " + alpha + ")";
    }
    return colour;
  }

  /* Clicking a node keeps its links in colour and fades the others; clicking it again restores all. */
  function highlightOnClick(plot, trace) {
    var original = trace.link.color.slice();
    var source = trace.link.source.slice();
    var target = trace.link.target.slice();
    var selected = null;
    plot.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      if (!point || point.sourceLinks === undefined) {
        return; // a link was clicked, not a node
      }
      selected = selected === point.pointNumber ? null : point.pointNumber;
      var colours = original.map(function (colour, i) {
        if (selected === null) {
          return colour;
        }
        var linked = source[i] === selected || target[i] === selected;
        return withAlpha(colour, linked ? HIGHLIGHTED : FADED);
      });
      plot.setAttribute("data-selected-node", selected === null ? "" : String(selected));
      window.Plotly.restyle(plot, { "link.color": [colours] }, [0]);
    });
  }

  function failed(plot, message) {
    plot.classList.add("failed");
    plot.textContent = message;
  }

  function drawAll() {
    var block = document.getElementById("figures");
    var plots = document.querySelectorAll("[data-figure]");
    if (!block) {
      return;
    }
    if (!window.Plotly) {
      Array.prototype.forEach.call(plots, function (plot) {
        failed(plot, "Le graphique n'a pas pu être affiché : la bibliothèque plotly.js est introuvable. Les chiffres figurent dans le PDF et le JSON de la fiche.");
      });
      return;
    }
    var figures = JSON.parse(block.textContent);
    Array.prototype.forEach.call(plots, function (plot) {
      var figure = figures[plot.getAttribute("data-figure")];
      if (!figure) {
        return;
      }
      window.Plotly.newPlot(plot, figure.data, figure.layout, figure.config).then(
        function () {
          if (figure.kind === "sankey") {
            highlightOnClick(plot, figure.data[0]);
          }
          plot.setAttribute("data-rendered", "true");
        },
        function (error) {
          failed(plot, "Le graphique n'a pas pu être affiché : " + error);
        }
      );
    });
  }

  // Draw once the page's font is in, so that plotly measures labels in the font it shows.
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(drawAll, drawAll);
  } else {
    drawAll();
  }
})();
