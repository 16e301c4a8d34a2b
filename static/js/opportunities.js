/* Opportunities: the kanban board (SortableJS + htmx) and the report charts (Chart.js).
   No inline scripts: chart data comes from json_script elements named by data-chart. */
(function () {
  "use strict";

  // --- board -------------------------------------------------------------------------------
  var pending = null; // the drop waiting for the server: {item, from, index}

  function revert(move) {
    if (!move) return;
    var ref = move.from.children[move.index] || null;
    move.from.insertBefore(move.item, ref);
  }

  function placeCard(cardId, stageId) {
    var card = document.querySelector('.board-card[data-id="' + cardId + '"]');
    var column = document.querySelector('.board-cards[data-stage-id="' + stageId + '"]');
    if (card && column && card.parentNode !== column) column.insertBefore(card, column.firstChild);
  }

  function boardOwner() {
    var board = document.getElementById("board");
    return board ? board.dataset.owner : "all";
  }

  function showMessage(text) {
    var slot = document.getElementById("board-message");
    if (!slot) return;
    var div = document.createElement("div");
    div.className = "alert alert-warning";
    div.setAttribute("role", "alert");
    div.textContent = text;
    slot.replaceChildren(div);
  }

  function initBoard() {
    var board = document.getElementById("board");
    if (!board || typeof Sortable === "undefined") return;
    board.querySelectorAll(".board-cards").forEach(function (list) {
      Sortable.create(list, {
        group: "board-" + board.dataset.pipeline,
        animation: 120,
        // Mouse and touch events rather than native drag and drop: same behaviour everywhere.
        forceFallback: true,
        filter: ".board-locked",
        preventOnFilter: false,
        draggable: ".board-card",
        onEnd: function (evt) {
          if (evt.from === evt.to) return;
          var item = evt.item;
          pending = { item: item, from: evt.from, index: evt.oldIndex };
          htmx.ajax("POST", item.dataset.moveUrl, {
            source: item,
            target: "#board-modal-slot",
            swap: "innerHTML",
            values: { stage: evt.to.dataset.stageId, board_owner: boardOwner() },
          });
        },
      });
    });

    document.body.addEventListener("htmx:beforeSwap", function (evt) {
      // Refusals (403, 409, 400) carry a message to show: swap them like a success.
      var result = evt.detail.xhr.getResponseHeader("X-Board-Result");
      if (result && evt.detail.xhr.status >= 400) {
        evt.detail.shouldSwap = true;
        evt.detail.isError = false;
      }
    });

    document.body.addEventListener("htmx:afterRequest", function (evt) {
      var xhr = evt.detail.xhr;
      if (!xhr) return;
      var result = xhr.getResponseHeader("X-Board-Result");
      if (!result) {
        if (pending && evt.detail.failed) {
          revert(pending);
          pending = null;
          showMessage(board.dataset.errorMessage || "The move failed.");
        }
        return;
      }
      if (result === "moved") {
        placeCard(xhr.getResponseHeader("X-Board-Card"), xhr.getResponseHeader("X-Board-Stage"));
        pending = null;
        var modal = document.getElementById("lost-modal");
        if (modal) bootstrap.Modal.getOrCreateInstance(modal).hide();
      } else if (result === "ask") {
        // Nothing changed yet: the card goes back until the reason is given.
        revert(pending);
        pending = null;
      } else {
        revert(pending);
        pending = null;
      }
    });

    document.body.addEventListener("htmx:afterSwap", function (evt) {
      var modal = document.getElementById("lost-modal");
      if (modal && evt.detail.target.id === "board-modal-slot") {
        modal.querySelectorAll("[data-board-owner]").forEach(function (input) {
          input.value = boardOwner();
        });
        bootstrap.Modal.getOrCreateInstance(modal).show();
      }
    });

    document.querySelectorAll("#board-owner").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  // --- charts ------------------------------------------------------------------------------
  function initCharts() {
    if (typeof Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      var spec = JSON.parse(source.textContent);
      new Chart(canvas, {
        type: spec.type || "bar",
        data: {
          labels: spec.labels,
          // Amounts arrive as strings (exact decimals); the chart only draws them.
          datasets: spec.datasets.map(function (ds) {
            return {
              label: ds.label,
              data: ds.data.map(function (v) { return v === null ? null : Number(v); }),
            };
          }),
        },
        options: {
          indexAxis: spec.indexAxis || "x",
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { display: spec.datasets.length > 1 } },
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initBoard();
    initCharts();
  });
})();
