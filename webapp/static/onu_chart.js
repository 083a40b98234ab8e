// The ONU page's chart: rx and tx (dBm) with the alarm thresholds and state changes.
(function () {
  "use strict";
  var box = document.getElementById("onu-chart");
  if (!box || !window.uPlot) { return; }
  var plot = null;
  var COLORS = { offline: "#dc3545", absent: "#6c757d", online: "#28a745", reappeared: "#28a745" };

  function seconds(iso) { return Date.parse(iso) / 1000; }

  function markEvents(events) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx;
          events.forEach(function (e) {
            var x = Math.round(u.valToPos(seconds(e.at), "x", true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) { return; }
            ctx.save();
            ctx.strokeStyle = COLORS[e.kind] || "#17a2b8";
            ctx.lineWidth = 1;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.restore();
          });
        }]
      }
    };
  }

  function draw(data) {
    var rolled = data.resolution !== "raw";
    // the whole span on the x axis (its two ends carry only the thresholds)
    var xs = [seconds(data.start)], rx = [null], tx = [null];
    data.points.forEach(function (p) {
      xs.push(seconds(p.at));
      rx.push(rolled ? p.rx_avg : p.rx);
      tx.push(rolled ? p.tx_avg : p.tx);
    });
    xs.push(seconds(data.end)); rx.push(null); tx.push(null);
    var warn = xs.map(function () { return data.thresholds.warning; });
    var crit = xs.map(function () { return data.thresholds.critical; });
    if (plot) { plot.destroy(); plot = null; }
    box.textContent = "";
    if (!data.points.length) { box.textContent = box.dataset.noData; return; }
    plot = new uPlot({
      width: Math.max(320, box.clientWidth || 800),
      height: 260,
      plugins: [markEvents(data.events)],
      // times in the zone the rest of the admin shows (OLTWATCH_TZ), not the browser's
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), box.dataset.tz || "UTC"); },
      scales: {
        x: { time: true, range: [seconds(data.start), seconds(data.end)] },
        y: { range: function (u, lo, hi) { return [Math.min(lo, -35), Math.max(hi, 5)]; } }
      },
      series: [
        {},
        { label: "rx (dBm)", stroke: "#007bff", width: 2, spanGaps: false },
        { label: "tx (dBm)", stroke: "#6f42c1", width: 1, spanGaps: false },
        { label: "warning", stroke: "#ffc107", dash: [6, 4], points: { show: false } },
        { label: "critical", stroke: "#dc3545", dash: [6, 4], points: { show: false } }
      ],
      axes: [{}, { label: "dBm" }]
    }, [xs, rx, tx, warn, crit], box);
    box.dataset.points = String(data.points.length);
  }

  function load(span) {
    fetch(box.dataset.url + "&span=" + encodeURIComponent(span), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(draw);
  }

  document.querySelectorAll("#onu-chart-spans button").forEach(function (b) {
    b.addEventListener("click", function () {
      document.querySelectorAll("#onu-chart-spans button").forEach(function (o) {
        o.classList.toggle("active", o === b);
      });
      load(b.dataset.span);
    });
  });
  load("24h");
})();
