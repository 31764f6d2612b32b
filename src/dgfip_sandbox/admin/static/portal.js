// Developer portal: polls the admin API (GET, cookie-authenticated) for the chosen consumer.
"use strict";
(function () {
  const select = document.getElementById("consumer");
  let lastId = null;
  let current = null;
  let creds = null;
  let entriesSeen = [];
  const SVG = "http://www.w3.org/2000/svg";

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

  function pretty(value) {
    if (value === null || value === undefined || value === "") return "—";
    return typeof value === "string" ? value : JSON.stringify(value, null, 2);
  }

  function detailRow(e) {
    const tr = document.createElement("tr");
    tr.className = "detail";
    const td = document.createElement("td");
    td.colSpan = 7;
    const parts = [["Requête", e.request], ["Réponse", e.response], ["Trace des décisions", e.trace]];
    if (e.correlation_id) td.append(text("p", "X-Correlation-ID : " + e.correlation_id));
    for (const [label, value] of parts) {
      td.append(text("h4", label));
      const pre = text("pre", pretty(value));
      td.append(pre);
    }
    tr.append(td);
    return tr;
  }

  function toggle(tr, e) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains("detail")) { next.remove(); tr.setAttribute("aria-expanded", "false"); return; }
    tr.after(detailRow(e));
    tr.setAttribute("aria-expanded", "true");
  }

  function renderUsage(reset) {
    const box = document.getElementById("usage-chart");
    const minutes = 15;
    const latest = entriesSeen.length ? Math.max(...entriesSeen.map(e => Date.parse(e.horodatage))) : Date.now();
    const end = Math.floor(latest / 60000);
    const counts = new Array(minutes).fill(0);
    for (const e of entriesSeen) {
      const i = minutes - 1 - (end - Math.floor(Date.parse(e.horodatage) / 60000));
      if (i >= 0 && i < minutes) counts[i] += 1;
    }
    const max = Math.max(1, ...counts);
    const width = 600, height = 140, bar = width / minutes;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + (height + 30));
    svg.setAttribute("class", "chart");
    counts.forEach((count, i) => {
      const h = Math.round((count / max) * height);
      const rect = document.createElementNS(SVG, "rect");
      const minute = new Date((end - (minutes - 1 - i)) * 60000);
      const label = minute.toISOString().slice(11, 16);
      rect.setAttribute("x", String(i * bar + 4)); rect.setAttribute("y", String(height - h));
      rect.setAttribute("width", String(bar - 8)); rect.setAttribute("height", String(h));
      rect.setAttribute("data-count", String(count));
      const title = document.createElementNS(SVG, "title");
      title.textContent = label + " UTC : " + count + " appel" + (count > 1 ? "s" : "");
      rect.append(title);
      svg.append(rect);
      if (count) {
        const value = document.createElementNS(SVG, "text");
        value.setAttribute("x", String(i * bar + bar / 2)); value.setAttribute("y", String(height - h - 3));
        value.setAttribute("text-anchor", "middle"); value.textContent = String(count);
        svg.append(value);
      }
      if (i % 3 === 2 || i === minutes - 1) {
        const tick = document.createElementNS(SVG, "text");
        tick.setAttribute("x", String(i * bar + bar / 2)); tick.setAttribute("y", String(height + 20));
        tick.setAttribute("text-anchor", "middle"); tick.textContent = label;
        svg.append(tick);
      }
    });
    box.replaceChildren(svg);
    box.setAttribute("aria-label", "Appels par minute : " + counts.join(", "));
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
      tr.className = "entry";
      tr.tabIndex = 0;
      tr.setAttribute("aria-expanded", "false");
      tr.addEventListener("click", () => toggle(tr, e));
      tr.addEventListener("keydown", ev => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); toggle(tr, e); } });
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
        creds = await getJson("/api/portal/credentials/" + encodeURIComponent(name));
        creds.id_teleservice = consumer.id_teleservice;
        creds.client_id = consumer.client_id;
        renderCredentials(consumer, creds);
        lastId = null;
        entriesSeen = [];
        document.querySelectorAll("details.route").forEach(renderCurl);
      }
      renderScopes(consumer);
      renderQuota(consumer);
      const url = "/api/consumers/" + encodeURIComponent(name) + "/journal" + (lastId === null ? "?limit=50" : "?since_id=" + lastId);
      const journal = await getJson(url);
      const entries = lastId === null ? journal.entries.slice().reverse() : journal.entries;
      renderJournal(entries, reset);
      entriesSeen = entriesSeen.concat(entries).slice(-1000);
      renderUsage();
      document.getElementById("journal-status").textContent = "(actualisé à " + new Date().toLocaleTimeString("fr-FR") + ")";
    } catch (err) {
      document.getElementById("journal-status").textContent = "(erreur : " + err.message + ")";
    }
  }

  // ---- Workbench: a form per route, its curl, and its answer when run by the admin app ----

  function sq(value) { return "'" + String(value).replace(/'/g, "'\\''") + "'"; }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, x => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function collect(details) {
    const form = details.querySelector("form");
    const request = { consumer: select.value, method: details.dataset.method, path: details.dataset.path,
                      path_params: {}, query: {}, headers: {}, body: null };
    for (const input of form.querySelectorAll("input[data-in]")) {
      const where = input.dataset.in;
      if (where === "header" && ["x-correlation-id", "x-request-id"].includes(input.name.toLowerCase()) && !input.value) {
        input.value = uuid();  // a fresh identifier per request (the form keeps it until the run)
      }
      if (where === "header" && input.name.toLowerCase() === "id_teleservice" && !input.value && creds && creds.id_teleservice) {
        input.value = creds.id_teleservice;
      }
      if (!input.value) continue;
      if (where === "path") request.path_params[input.name] = input.value;
      else if (where === "query") request.query[input.name] = input.value;
      else if (where === "header") request.headers[input.name] = input.value;
    }
    if (creds && creds.id_teleservice && !Object.keys(request.headers).some(k => k.toLowerCase() === "id_teleservice")) {
      request.headers["ID_Teleservice"] = creds.id_teleservice;
    }
    const body = form.querySelector("textarea[name=body]");
    if (body && body.value.trim()) request.body = body.value;
    return request;
  }

  function curlFor(request) {
    const base = document.body.dataset.gateway;
    let path = request.path;
    for (const [k, v] of Object.entries(request.path_params)) path = path.replace("{" + k + "}", encodeURIComponent(v));
    const query = new URLSearchParams(request.query).toString();
    const url = base + path + (query ? "?" + query : "");
    const c = creds || {};
    const tls = "--cacert " + sq(c.ca_cert || "var/pki/ca.pem") + " --cert " + sq(c.cert || "CERTIFICAT") + " --key " + sq(c.key || "CLE");
    const file = c.credentials_file || "var/credentials.json";
    const lines = ["# Chemins et secret : ceux de " + file + " (un chemin relatif part du dossier où le bac à sable a été lancé)."];
    const token = request.path === "/token";
    lines.push("CLIENT_SECRET=$(python3 -c 'import json,sys; print(next(c[\"client_secret\"] for c in json.load(open(sys.argv[1]))[\"consumers\"] if c[\"name\"] == sys.argv[2]))' " + sq(file) + " " + sq(request.consumer) + ")");
    const tokenCurl = "curl -s " + tls + " -u " + sq(c.client_id || "CLIENT_ID") + "\":$CLIENT_SECRET\" -d grant_type=client_credentials " + sq(base + "/token");
    if (token) { lines.push(tokenCurl); return lines.join("\n"); }
    lines.push("TOKEN=$(" + tokenCurl + " | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')");
    const parts = ["curl -s " + tls, "  -X " + request.method];
    parts.push("  -H \"Authorization: Bearer $TOKEN\"");
    for (const [k, v] of Object.entries(request.headers)) parts.push("  -H " + sq(k + ": " + v));
    if (request.body !== null) {
      if (!Object.keys(request.headers).some(k => k.toLowerCase() === "content-type")) parts.push("  -H 'Content-Type: application/json'");
      parts.push("  --data " + sq(request.body));
    }
    parts.push("  " + sq(url));
    lines.push(parts.join(" \\\n"));
    return lines.join("\n");
  }

  function renderCurl(details) {
    const request = collect(details);
    details.querySelector("pre.curl").textContent = curlFor(request);
    return request;
  }

  async function runRoute(details) {
    const answer = details.querySelector("pre.answer");
    const request = renderCurl(details);
    answer.textContent = "Exécution…";
    answer.className = "answer";
    try {
      const response = await fetch("/api/portal/try", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(request),
      });
      const result = await response.json();
      if (!response.ok) {
        answer.textContent = "Refusé par l'administration (" + response.status + ")\n" + pretty(result);
        answer.className = "answer ko";
        return;
      }
      const lines = [];
      if (result.token) lines.push("Jeton : HTTP " + result.token.status + (result.token.body ? "\n" + pretty(result.token.body) : ""));
      lines.push("HTTP " + result.status + " · X-Correlation-ID " + result.correlation_id);
      lines.push(pretty(result.body));
      answer.textContent = lines.join("\n");
      answer.dataset.status = String(result.status);
      answer.className = "answer " + (result.status < 400 ? "ok" : "ko");
    } catch (err) {
      answer.textContent = "Erreur : " + err.message;
      answer.className = "answer ko";
    } finally {
      // a fresh X-Correlation-ID for the next run
      for (const input of details.querySelectorAll("input[data-in=header]")) {
        if (["x-correlation-id", "x-request-id"].includes(input.name.toLowerCase())) input.value = "";
      }
      renderCurl(details);
    }
  }

  document.querySelectorAll("details.route").forEach(details => {
    const form = details.querySelector("form");
    form.addEventListener("submit", ev => { ev.preventDefault(); runRoute(details); });
    form.addEventListener("input", () => renderCurl(details));
    details.querySelector("button.copy").addEventListener("click", async ev => {
      const curl = details.querySelector("pre.curl").textContent;
      try { await navigator.clipboard.writeText(curl); ev.target.textContent = "Copié"; }
      catch (err) {
        const range = document.createRange(); range.selectNodeContents(details.querySelector("pre.curl"));
        const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
        ev.target.textContent = "Sélectionné (Ctrl+C)";
      }
      setTimeout(() => { ev.target.textContent = "Copier"; }, 2000);
    });
    renderCurl(details);
  });

  select.addEventListener("change", () => { current = select.value; refresh(true); });
  current = select.value;
  refresh(true);
  setInterval(() => refresh(false), 2000);
})();
