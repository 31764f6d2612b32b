// Developer portal: polls the admin API (GET, cookie-authenticated) for the chosen consumer.
"use strict";
(function () {
  const select = document.getElementById("consumer");
  let lastId = null;
  let current = null;

  function text(tag, value, cls) {
    const el = document.createElement(tag);
    el.textContent = value === null || value === undefined ? "—" : String(value);
    if (cls) el.className = cls;
    return el;
  }

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(url + " : " + response.status);
    return response.json();
  }

  function renderCredentials(consumer, creds) {
    const dl = document.getElementById("credentials");
    dl.replaceChildren();
    const rows = [
      ["client_id", consumer.client_id],
      ["client_secret", creds.client_secret || "(renvoyé une seule fois à sa création)"],
      ["certificat", creds.cert], ["clé privée", creds.key], ["CA", creds.ca_cert],
      ["ID_Teleservice", consumer.id_teleservice], ["adresses autorisées", consumer.allowed_ips.join(", ")],
      ["certificats en vigueur", consumer.certificates.filter(c => !c.revoked_at).length],
      ["état", consumer.active ? "actif" : "désactivé"],
    ];
    for (const [k, v] of rows) { dl.append(text("dt", k), text("dd", v)); }
  }

  function renderScopes(consumer) {
    const box = document.getElementById("scopes");
    box.replaceChildren();
    const groups = [["OAuth", consumer.oauth_scopes], ["DataPass", consumer.datapass_scopes],
                    ["Modalités FICOBA", consumer.ficoba_modalities], ["Motifs FICOBA", consumer.ficoba_motifs]];
    for (const [label, values] of groups) {
      if (!values.length) continue;
      const p = document.createElement("p");
      p.append(text("strong", label + " : "));
      for (const v of values) p.append(text("span", v, "scope"));
      box.append(p);
    }
  }

  function renderQuota(consumer) {
    const usage = consumer.quota_usage;
    document.getElementById("quota").textContent = usage
      ? Object.entries(usage.apis)
          .map(([api, u]) => api + " : " + u.used + " / " + u.limit)
          .join(" · ") + " appels dans la minute en cours"
      : "palier de " + consumer.quota_per_minute + " appels/minute (compteur non visible depuis ce processus)";
    document.getElementById("scenario").textContent = consumer.sandbox_scenario || "aucun";
  }

  function renderJournal(entries, reset) {
    const body = document.querySelector("#journal tbody");
    if (reset) body.replaceChildren();
    if (!entries.length && !body.children.length) {
      const tr = document.createElement("tr");
      const td = text("td", "Aucun appel pour l'instant.");
      td.colSpan = 7; tr.append(td); body.append(tr);
      return;
    }
    if (entries.length && body.children.length === 1 && body.children[0].children.length === 1) body.replaceChildren();
    for (const e of entries) {
      const tr = document.createElement("tr");
      tr.dataset.id = e.id;
      const failed = (e.trace || []).find(step => !step.passed);
      tr.append(text("td", e.id), text("td", e.horodatage), text("td", e.method),
                text("td", e.path + (e.query ? "?" + e.query : "")),
                text("td", e.status, e.status < 400 ? "ok" : "ko"), text("td", e.outcome),
                text("td", failed ? failed.check + " : " + failed.reason : (e.trace || []).map(s => s.check).join(" → ")));
      body.prepend(tr);
      lastId = Math.max(lastId || 0, e.id);
    }
  }

  async function refresh(reset) {
    const name = select.value;
    if (!name) return;
    try {
      const consumer = await getJson("/api/consumers/" + encodeURIComponent(name));
      if (reset) {
        const creds = await getJson("/api/portal/credentials/" + encodeURIComponent(name));
        renderCredentials(consumer, creds);
        lastId = null;
      }
      renderScopes(consumer);
      renderQuota(consumer);
      const url = "/api/consumers/" + encodeURIComponent(name) + "/journal" + (lastId === null ? "?limit=50" : "?since_id=" + lastId);
      const journal = await getJson(url);
      const entries = lastId === null ? journal.entries.slice().reverse() : journal.entries;
      renderJournal(entries, reset);
      document.getElementById("journal-status").textContent = "(actualisé à " + new Date().toLocaleTimeString("fr-FR") + ")";
    } catch (err) {
      document.getElementById("journal-status").textContent = "(erreur : " + err.message + ")";
    }
  }

  select.addEventListener("change", () => { current = select.value; refresh(true); });
  current = select.value;
  refresh(true);
  setInterval(() => refresh(false), 2000);
})();
