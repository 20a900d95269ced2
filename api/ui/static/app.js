// The runs page: log in (session.js, shared with the dashboard), then poll /runs and /overview
// every 2 s and draw what they say.
import { api, startSession, user } from "/ui/session.js";

const REFRESH_MS = 2000;
const ADMIN_ROLES = ["ADMIN", "SUPERADMIN"];
const $ = (id) => document.getElementById(id);
let timer = null;

function isAdmin() { const u = user(); return !!u && ADMIN_ROLES.includes(u.role); }

function text(tag, content, className) {
  const node = document.createElement(tag);
  if (content !== undefined && content !== null) node.textContent = String(content);
  if (className) node.className = className;
  return node;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  seconds = Math.round(seconds);
  if (seconds < 60) return seconds + " s";
  const m = Math.floor(seconds / 60), s = seconds % 60;
  if (m < 60) return m + " min " + s + " s";
  return Math.floor(m / 60) + " h " + (m % 60) + " min";
}

function bar(progress) {
  const outer = text("div", null, "bar");
  const inner = document.createElement("span");
  if (progress.percent === null || progress.percent === undefined) {
    outer.classList.add("indeterminate");
    outer.dataset.percent = "";
  } else {
    inner.style.width = progress.percent + "%";
    outer.dataset.percent = String(progress.percent);
  }
  outer.setAttribute("role", "progressbar");
  outer.setAttribute("aria-valuenow", outer.dataset.percent);
  outer.appendChild(inner);
  return outer;
}

// A run's kind as a person reads it: "HEMIS departments", "Sipuni step 2", ...
const KIND_NAMES = {
  hemis_student: "HEMIS student (one record)",
  hemis_employee: "HEMIS employee (one record)",
  sipuni_step1: "Sipuni step 1",
  sipuni_step2: "Sipuni step 2",
};

function kindName(kind) {
  if (KIND_NAMES[kind]) return KIND_NAMES[kind];
  if (kind.startsWith("hemis_")) return "HEMIS " + kind.slice("hemis_".length);
  return kind.replaceAll("_", " ");
}

// Whose run it is: every HEMIS and Sipuni run belongs to an organization (a run of none is an
// old deployment-wide HEMIS run, which only a SUPERADMIN sees).
function organizationName(run) {
  return run.organizationId ? "Organization " + run.organizationId : "No organization";
}

function runCard(run) {
  const p = run.progress;
  const card = text("div", null, "run");
  card.dataset.runId = run.runId;
  card.dataset.status = run.status;
  card.dataset.organizationId = run.organizationId ?? "";
  const head = text("div", null, "run-head");
  const name = text("span", null, "run-name");
  name.append(text("span", kindName(run.kind), "run-kind"), text("span", organizationName(run), "run-org"));
  head.append(name, text("span", run.status, "status status-" + run.status));
  if (isAdmin() && run.status === "running") head.append(cancelButton(run.runId));
  card.append(head, bar(p));
  const facts = text("div", null, "facts");
  const of = p.total ? " of " + p.total : "";
  facts.append(text("span", p.done + of + " " + p.unit + (p.percent !== null ? " (" + p.percent + "%)" : "")));
  if (p.recordsTotal) facts.append(text("span", p.records + " of " + p.recordsTotal + " records"));
  facts.append(text("span", p.ratePerS ? p.ratePerS + " " + p.unit + "/s" : "– " + p.unit + "/s"));
  facts.append(text("span", "ETA " + duration(p.etaS)));
  facts.append(text("span", "skipped " + p.skipped), text("span", "failed " + p.failed));
  card.append(facts);
  if (p.message) card.append(text("div", p.message, p.waitingOnRateLimit ? "waiting" : "muted small"));
  if (p.latestErrors.length) {
    const list = text("ul", null, "errors");
    p.latestErrors.forEach((e) => list.append(text("li", e)));
    card.append(list);
  }
  return card;
}

function cancelButton(runId) {
  const button = text("button", "Cancel", "cancel-run");
  button.type = "button";
  button.dataset.cancel = runId;
  button.addEventListener("click", () => cancelRun(runId));
  return button;
}

// POST /runs/<runId>/cancel: the run ends `cancelled` at once, its lock freed.
async function cancelRun(runId) {
  if (!window.confirm("Cancel run " + runId + "? What is in flight finishes; nothing new starts.")) return;
  const out = $("action-message");
  out.className = "";
  out.textContent = "Cancelling run " + runId + "…";
  const { status, body } = await api("/runs/" + encodeURIComponent(runId) + "/cancel", "POST");
  out.className = status === 200 ? "accepted" : "refused";
  out.textContent = status === 200 ? "Cancelled run " + runId : status + ": " + (body.message || "refused");
  refresh();
}

function finishedTable(runs) {
  const table = document.createElement("table");
  const head = table.insertRow();
  ["Run", "Status", "Progress", "Duration", "Totals", "Ended"].forEach((h, i) => {
    const th = text("th", h);
    if (i === 5) th.className = "hide-narrow";
    head.append(th);
  });
  runs.forEach((run) => {
    const row = table.insertRow();
    row.dataset.runId = run.runId;
    row.dataset.status = run.status;
    row.dataset.organizationId = run.organizationId ?? "";
    const link = text("a", kindName(run.kind));
    link.href = "#" + run.runId;
    link.title = "Show /runs/" + run.runId;
    link.addEventListener("click", (event) => { event.preventDefault(); showRecord(run.runId); });
    const p = run.progress;
    const totals = p.records + (p.recordsTotal ? " / " + p.recordsTotal : "") +
      (p.skipped ? " · skipped " + p.skipped : "") + (p.failed ? " · failed " + p.failed : "");
    row.insertCell().append(link, text("span", organizationName(run), "run-org"));
    row.insertCell().append(text("span", run.status, "status-" + run.status));
    row.insertCell().append(bar(p));
    row.insertCell().textContent = duration(run.duration === null ? null : run.duration / 1000);
    row.insertCell().textContent = totals;
    const ended = row.insertCell();
    ended.className = "hide-narrow";
    ended.textContent = run.endTime ? new Date(run.endTime).toLocaleString() : "";
  });
  return table;
}

async function showRecord(runId) {
  const { body } = await api("/runs/" + encodeURIComponent(runId));
  const pre = $("run-record");
  pre.textContent = JSON.stringify(body, null, 2);
  pre.hidden = false;
}

function fillTable(table, rows) {
  table.replaceChildren();
  Object.entries(rows).forEach(([name, count]) => {
    const row = table.insertRow();
    row.dataset.name = name;
    row.insertCell().textContent = name;
    row.insertCell().textContent = count;
  });
}

async function refresh() {
  const [runs, overview] = await Promise.all([api("/runs"), api("/overview")]);
  if (runs.status === 200) {
    const running = $("running");
    running.replaceChildren();
    if (!runs.body.running.length) running.append(text("p", "Nothing is running.", "muted"));
    runs.body.running.forEach((run) => running.append(runCard(run)));
    $("finished").replaceChildren(finishedTable(runs.body.finished));
  }
  if (overview.status === 200) {
    fillTable($("ai-calls"), overview.body.aiCalls);
    $("queues-box").hidden = !overview.body.queues;
    if (overview.body.queues) {
      fillTable($("queues"), overview.body.queues);
      const names = overview.body.workers || [];  // names: for a SUPERADMIN only
      const count = overview.body.workersOnline ?? names.length;
      $("workers").textContent = count + " worker(s) online" + (names.length ? ": " + names.join(", ") : "");
    }
  }
  $("updated").textContent = "updated " + new Date().toLocaleTimeString();
}

function ddmmyyyy(isoDay) {
  if (!isoDay) return "";
  const [y, m, d] = isoDay.split("-");
  return d + "." + m + "." + y;
}

// A SUPERADMIN belongs to no organization: the HEMIS and Sipuni calls name the one to act for.
function actingFor(params) {
  const id = $("organization-id").value;
  if (user().role === "SUPERADMIN" && id) params.set("organizationId", id);
  return params;
}

function queryOf(params) {
  const query = params.toString();
  return query ? "?" + query : "";
}

function sipuniQuery(withLimit) {
  const params = new URLSearchParams();
  const from = ddmmyyyy($("date-from").value), to = ddmmyyyy($("date-to").value);
  if (from) params.set("from", from);
  if (to) params.set("to", to);
  if (withLimit && $("limit").value) params.set("limit", $("limit").value);
  return queryOf(actingFor(params));
}

function hemisQuery() { return queryOf(actingFor(new URLSearchParams())); }

// GET /api/hemis/check: one request to the organization's HEMIS. The answer never holds the token.
async function checkHemis() {
  const out = $("hemis-check");
  out.className = "small";
  out.textContent = "Checking HEMIS…";
  const { status, body } = await api("/api/hemis/check" + hemisQuery());
  out.dataset.reason = status === 200 ? body.reason : "";
  out.className = "small " + (status === 200 && body.success ? "accepted" : "refused");
  out.textContent = status === 200 ? checkLine(body) : status + ": " + (body.message || "refused");
}

// "ok · 230 students · rate limit 10 (9 left, resets in 60 s) · HEMIS (host) accepted the token: …"
function checkLine(body) {
  const parts = [body.reason];
  if (body.studentCount !== null && body.studentCount !== undefined) parts.push(body.studentCount + " students");
  const limit = body.rateLimit;
  if (limit && limit.limit !== null) {
    parts.push("rate limit " + limit.limit + " (" + limit.remaining + " left, resets in " + limit.reset + " s)");
  } else {
    parts.push("no rate-limit headers");
  }
  parts.push(body.message);
  return parts.join(" · ");
}

async function start(path) {
  const out = $("action-message");
  out.className = "";
  out.textContent = "Starting…";
  const { status, body } = await api(path, "POST");
  if (status === 202) {
    out.className = "accepted";
    out.textContent = "Started run " + body.runId;
  } else {
    const details = body.errors && Object.keys(body.errors).length ? " (" + JSON.stringify(body.errors) + ")" : "";
    out.className = "refused";
    out.textContent = status + ": " + (body.message || "refused") + details;
  }
  refresh();
}

function showApp(u) {
  $("actions").hidden = !isAdmin();
  $("org-label").hidden = u.role !== "SUPERADMIN";
  refresh();
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
}

document.querySelectorAll("[data-hemis-kind]").forEach((button) => {
  button.addEventListener("click", () => start("/api/hemis/sync/" + button.dataset.hemisKind + hemisQuery()));
});
$("check-hemis").addEventListener("click", checkHemis);
$("start-step1").addEventListener("click", () => start("/sipuni/step1-fetch-csv" + sipuniQuery(true)));
$("start-step2").addEventListener("click", () => start("/sipuni/step2-process-recordings" + sipuniQuery(false)));
startSession(showApp, () => clearInterval(timer));
