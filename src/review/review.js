// The review page's behaviour: picks (one take per segment) kept in the browser and in a
// picks.json beside the page, the filter, and each player's length once its metadata loads.
// Its words come from the page (`data-text`), in the page's language.
"use strict";
(function () {
  const storageKey = "sora-batch-picks:" + location.pathname;
  const picks = new Map();
  const id = (storyboard, segment) => storyboard + "\u0000" + segment;

  function radios() {
    return Array.from(document.querySelectorAll("input.pick-input"));
  }

  function show() {
    for (const radio of radios()) {
      const take = radio.closest(".take");
      const segment = radio.closest(".segment");
      const picked = picks.get(id(segment.dataset.storyboard, segment.dataset.segment));
      radio.checked = String(picked) === radio.value;
      take.classList.toggle("picked", radio.checked);
    }
    for (const segment of document.querySelectorAll(".segment")) {
      const has = picks.has(id(segment.dataset.storyboard, segment.dataset.segment));
      segment.dataset.picked = has ? "true" : "false";
    }
    const count = document.getElementById("pick-count");
    count.textContent = count.dataset.text
      .replace("%{picked}", picks.size)
      .replace("%{total}", document.querySelectorAll(".segment").length);
    filter();
  }

  function remember() {
    try {
      localStorage.setItem(storageKey, JSON.stringify(asList()));
    } catch (err) {
      // A browser that keeps nothing for file:// pages: the save button still works.
    }
  }

  function asList() {
    const list = [];
    for (const [key, version] of picks) {
      const [storyboard, segment] = key.split("\u0000");
      list.push({ storyboard: storyboard, segment: Number(segment), version: Number(version) });
    }
    list.sort((a, b) => a.storyboard.localeCompare(b.storyboard) || a.segment - b.segment);
    return list;
  }

  function take(list) {
    if (!Array.isArray(list)) return;
    for (const pick of list) {
      if (pick && typeof pick.storyboard === "string" && Number.isInteger(pick.segment) &&
          Number.isInteger(pick.version)) {
        picks.set(id(pick.storyboard, pick.segment), pick.version);
      }
    }
  }

  function filter() {
    const wanted = document.getElementById("filter").value;
    for (const segment of document.querySelectorAll(".segment")) {
      const failed = segment.dataset.failed === "true";
      const unreviewed = segment.dataset.picked !== "true";
      segment.hidden = (wanted === "failed" && !failed) || (wanted === "unreviewed" && !unreviewed);
    }
  }

  function save() {
    const text = JSON.stringify(asList(), null, 2) + "\n";
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    link.download = "picks.json";
    document.body.appendChild(link);
    link.click();
    link.remove();
    const status = document.getElementById("save-status");
    status.textContent = status.dataset.text;
  }

  for (const radio of radios()) {
    radio.addEventListener("change", () => {
      const segment = radio.closest(".segment");
      picks.set(id(segment.dataset.storyboard, segment.dataset.segment), Number(radio.value));
      remember();
      show();
    });
  }
  for (const video of document.querySelectorAll("video")) {
    const mark = () => {
      const shown = video.closest(".take").querySelector(".length");
      if (Number.isFinite(video.duration) && video.duration > 0) {
        video.dataset.loaded = "true";
        if (shown) shown.textContent = video.duration.toFixed(1) + " s";
      }
    };
    video.addEventListener("loadedmetadata", mark);
    video.addEventListener("error", () => { video.dataset.loaded = "error"; });
    mark();
  }
  document.getElementById("filter").addEventListener("change", filter);
  document.getElementById("save-picks").addEventListener("click", save);

  // picks.json beside the page first (when served; file:// pages cannot read it), then
  // what this browser kept, which is newer.
  const kept = () => {
    try {
      take(JSON.parse(localStorage.getItem(storageKey) || "[]"));
    } catch (err) {
      // Unreadable: start from the file's picks.
    }
    show();
  };
  show();
  if (location.protocol === "file:") {
    kept();
  } else {
    fetch("picks.json", { cache: "no-store" })
      .then((answer) => (answer.ok ? answer.json() : []))
      .then(take, () => {})
      .then(kept, kept);
  }
})();
