// The dashboard: a period's figures beside the period before, daily charts, the employees table
// (sortable) and the missed-and-not-called-back worklist with playback. Everything comes from the
// JSON API with the user's token, so each role sees what the API shows it (an EMPLOYEE: their own).
"use strict";

import { callsChart, scoreChart } from "/ui/charts.js";
import { api, blob, startSession, user } from "/ui/session.js";

const $ = (id) => document.getElementById(id);
const PERIODS = ["today", "yesterday", "week", "month"];
const DEFAULT_PERIOD = "today";
const MIN_CHART_DAYS = 7;  // a day or two alone makes no chart: show at least the last week
const WORKLIST_PAGE = 20;
const RESIZE_DELAY_MS = 150;
const SECONDS_SHOWN_BELOW_MIN = 10;  // "2 min 50 s", but "17 min": a long time needs no seconds
// The XLSX exports' bands (api/stats/xlsx_style.py): red under 50 % of the scale, amber under 80 %.
const SCORE_RED_BELOW = 0.5;
const SCORE_AMBER_BELOW = 0.8;

// The overview's cards. `better`: which way a change is good news (null: neither).
const FIGURES = [
  { key: "calls", label: "Calls", format: count, better: null },
  { key: "answered", label: "Answered", format: count, better: "up" },
  { key: "missed", label: "Missed", format: count, better: "down" },
  { key: "talkTimeS", label: "Talk time", format: duration, better: null },
  { key: "avgTalkTimeS", label: "Average talk", format: duration, better: null },
  { key: "scoredCalls", label: "Scored calls", format: count, better: null },
  { key: "avgScore", label: "Average score", format: score, better: "up" },
  { key: "violations", label: "Violations", format: count, better: "down" },
];

// The employees table's columns; `wide`: hidden on a phone (the table also scrolls sideways).
const COLUMNS = [
  { key: "name", label: "Employee", format: (v) => v },
  { key: "extCode", label: "Ext.", format: (v) => v ?? "–", wide: true },
  { key: "calls", label: "Calls", format: count },
  { key: "answered", label: "Answered", format: count, wide: true },
  { key: "missed", label: "Missed", format: count },
  { key: "talkTimeS", label: "Talk time", format: duration, wide: true },
  { key: "scoredCalls", label: "Scored", format: count, wide: true },
  { key: "avgScore", label: "Avg score", format: score, isScore: true },
  { key: "bestScore", label: "Best", format: score, isScore: true, wide: true },
  { key: "worstScore", label: "Worst", format: score, isScore: true, wide: true },
  { key: "violations", label: "Violations", format: count, wide: true },
];

const state = {
  period: DEFAULT_PERIOD, generation: 0, worklistGeneration: 0, maxScore: 10, timeZone: undefined,
  days: [], employees: [], sort: null, cursor: null, audioUrls: [],
};

// --- formatting -------------------------------------------------------------------------------------

function count(value) { return value === null || value === undefined ? "–" : value.toLocaleString(); }

function score(value) { return value === null || value === undefined ? "–" : (Math.round(value * 10) / 10).toString(); }

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  seconds = Math.round(seconds);
  if (seconds < 60) return seconds + " s";
  const minutes = Math.floor(seconds / 60);
  if (minutes < SECONDS_SHOWN_BELOW_MIN) return minutes + " min " + (seconds % 60) + " s";
  if (minutes < 60) return minutes + " min";
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return hours + " h " + (minutes % 60) + " min";
  return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
}

function signed(text, value) { return (value > 0 ? "+" : value < 0 ? "−" : "±") + text; }

function scoreBand(value) {
  if (value === null || value === undefined) return "";
  const fraction = value / state.maxScore;
  return fraction < SCORE_RED_BELOW ? "score-bad" : fraction < SCORE_AMBER_BELOW ? "score-warn" : "score-good";
}

function moment(iso) {
  if (!iso) return "–";
  const options = { dateStyle: "short", timeStyle: "short" };
  try {
    return new Date(iso).toLocaleString(undefined, { ...options, timeZone: state.timeZone });
  } catch (error) {  // a zone this browser does not know: the browser's own
    return new Date(iso).toLocaleString(undefined, options);
  }
}

// "YYYY-MM-DD" plus `days` (calendar arithmetic on the date alone, no time zone involved).
function addDays(isoDay, days) {
  const [y, m, d] = isoDay.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function el(tag, content, className) {
  const element = document.createElement(tag);
  if (content !== undefined && content !== null) element.textContent = String(content);
  if (className) element.className = className;
  return element;
}

// --- requests ---------------------------------------------------------------------------------------

function query(params) {
  const search = new URLSearchParams(params);
  if (user().role === "SUPERADMIN" && $("organization-id").value) search.set("organizationId", $("organization-id").value);
  return "?" + search.toString();
}

function refused(what, reply) {
  return what + ": " + reply.status + " " + (reply.body.message || "refused");
}

// --- the period and the overview --------------------------------------------------------------------

function choosePeriod(period) {
  state.period = PERIODS.includes(period) ? period : DEFAULT_PERIOD;
  document.querySelectorAll("#periods button").forEach((button) => {
    button.setAttribute("aria-pressed", String(button.dataset.period === state.period));
  });
  if (location.hash !== "#" + state.period) history.replaceState(null, "", "#" + state.period);
}

function changeText(change, format) {
  if (!change || change.absolute === null) return "no comparison";
  const absolute = signed(format(Math.abs(change.absolute)), change.absolute);
  if (change.relative === null) return absolute;
  const percent = Math.round(Math.abs(change.relative) * 1000) / 10;
  return absolute + " (" + signed(percent + " %", change.relative) + ")";
}

function changeClass(change, better) {
  if (!change || !change.absolute) return "change flat";
  const direction = change.absolute > 0 ? "up" : "down";
  const verdict = better === null ? "neutral" : better === direction ? "good" : "bad";
  return "change " + direction + " " + verdict;
}

function figureCard(figure, overview) {
  const card = el("div", null, "figure");
  card.dataset.field = figure.key;
  card.dataset.value = overview[figure.key] ?? "";
  const value = el("div", figure.format(overview[figure.key]), "figure-value");
  if (figure.key === "avgScore") value.append(el("span", " / " + overview.maxScore, "muted small"));
  card.append(el("div", figure.label, "figure-label"), value);
  const change = (overview.change || {})[figure.key];
  const shown = el("div", changeText(change, figure.format), changeClass(change, figure.better));
  shown.dataset.absolute = change && change.absolute !== null ? change.absolute : "";
  card.append(shown);
  if (overview.previous) card.append(el("div", "before: " + figure.format(overview.previous[figure.key]), "muted small"));
  return card;
}

function drawOverview(overview) {
  state.maxScore = overview.maxScore;
  state.timeZone = overview.timeZone;
  const days = overview.from === overview.to ? overview.from : overview.from + " – " + overview.to;
  $("window").textContent = days + " (" + overview.timeZone + "), up to " + moment(overview.until);
  const before = overview.previous;
  $("compared").textContent = before ? "vs " + (before.from === before.to ? before.from : before.from + " – " + before.to) : "";
  $("figures").replaceChildren(...FIGURES.map((figure) => figureCard(figure, overview)));
}

// --- the charts -------------------------------------------------------------------------------------

function chartWindow(overview) {
  const earliest = addDays(overview.to, 1 - MIN_CHART_DAYS);
  return { from: overview.from < earliest ? overview.from : earliest, to: overview.to };
}

function drawCharts() {
  callsChart($("calls-chart"), state.days);
  scoreChart($("score-chart"), state.days, state.maxScore);
}

// --- the employees table ----------------------------------------------------------------------------

function sortBy(key) {
  const numeric = key !== "name" && key !== "extCode";
  const same = state.sort && state.sort.key === key;
  state.sort = { key, descending: same ? !state.sort.descending : numeric };
  drawEmployees();
}

function sortedEmployees() {
  if (!state.sort) return state.employees;  // the API's order: most calls first
  const { key, descending } = state.sort;
  const direction = descending ? -1 : 1;
  return [...state.employees].sort((a, b) => {
    const x = a[key], y = b[key];
    if (x === null || x === undefined) return (y === null || y === undefined) ? a.employeeId - b.employeeId : 1;
    if (y === null || y === undefined) return -1;  // no value last, either way
    const order = typeof x === "string" ? x.localeCompare(y) : x - y;
    return order ? order * direction : a.employeeId - b.employeeId;
  });
}

function headerCell(column) {
  const th = el("th", null, column.wide ? "wide" : "");
  th.dataset.key = column.key;
  const sorted = state.sort && state.sort.key === column.key;
  th.setAttribute("aria-sort", sorted ? (state.sort.descending ? "descending" : "ascending") : "none");
  const button = el("button", column.label + (sorted ? (state.sort.descending ? " ▼" : " ▲") : ""), "sort");
  button.type = "button";
  button.addEventListener("click", () => sortBy(column.key));
  th.append(button);
  return th;
}

function drawEmployees() {
  const table = $("employees");
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  COLUMNS.forEach((column) => head.append(headerCell(column)));
  const body = table.createTBody();
  if (!state.employees.length) {
    const cell = body.insertRow().insertCell();
    cell.colSpan = COLUMNS.length;
    cell.textContent = "No employees.";
    cell.className = "muted";
  }
  sortedEmployees().forEach((row) => {
    const tr = body.insertRow();
    tr.dataset.employeeId = row.employeeId;
    COLUMNS.forEach((column) => {
      const td = tr.insertCell();
      td.textContent = column.format(row[column.key]);
      td.dataset.key = column.key;
      td.className = [column.wide ? "wide" : "", column.key === "name" ? "" : "num",
                      column.isScore ? scoreBand(row[column.key]) : ""].join(" ").trim();
    });
  });
}

// --- the worklist -----------------------------------------------------------------------------------

function forgetAudio() {
  state.audioUrls.forEach((url) => URL.revokeObjectURL(url));
  state.audioUrls = [];
}

// The recording is fetched with the token (never in a URL) and played from a blob: URL of its bytes.
async function play(button, callId) {
  button.disabled = true;
  button.textContent = "Loading…";
  const { blob: audio, message } = await blob("/calls/" + encodeURIComponent(callId) + "/recording" + query({}));
  if (!audio) {
    button.replaceWith(el("span", message, "error small"));
    return;
  }
  const url = URL.createObjectURL(audio);
  state.audioUrls.push(url);
  const player = document.createElement("audio");
  player.controls = true;
  player.preload = "metadata";
  player.src = url;
  player.dataset.callId = callId;
  button.replaceWith(player);
  player.play().catch(() => null);  // a browser that refuses to start by itself still shows the controls
}

function recordingCell(call) {
  if (!call.hasRecording || call.id === null) return el("span", "–", "muted");
  const button = el("button", "▶ Play", "play");
  button.type = "button";
  button.dataset.callId = call.id;
  button.addEventListener("click", () => play(button, call.id));
  return button;
}

function worklistRow(table, call) {
  const row = table.tBodies[0].insertRow();
  row.dataset.externalId = call.externalId;
  if (call.id !== null) row.dataset.callId = call.id;
  row.insertCell().textContent = moment(call.startedAt);
  row.insertCell().textContent = call.fromNumber || "–";
  const who = row.insertCell();
  who.className = "wide";
  who.textContent = call.employeeName || (call.extCode ? "ext. " + call.extCode : "–");
  const waiting = row.insertCell();
  waiting.textContent = call.startedAt ? duration((Date.now() - Date.parse(call.startedAt)) / 1000) : "–";
  row.insertCell().append(recordingCell(call));
}

function worklistHead(table) {
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  ["Time", "Caller", "Employee", "Waiting", "Audio"].forEach((title, i) => {
    head.append(el("th", title, i === 2 ? "wide" : ""));
  });
  table.createTBody();
}

// The worklist has its own generation: choosing a period does not cancel it, a newer load of it does.
async function loadWorklist(more) {
  const generation = ++state.worklistGeneration;
  const params = { status: "missed", callback: "none", limit: WORKLIST_PAGE };
  if (more && state.cursor) params.cursor = state.cursor;
  const reply = await api("/calls" + query(params));
  if (generation !== state.worklistGeneration) return;
  if (reply.status !== 200) { $("load-error").textContent = refused("Worklist", reply); return; }
  const table = $("worklist");
  if (!more) { forgetAudio(); worklistHead(table); }
  reply.body.calls.forEach((call) => worklistRow(table, call));
  if (!table.tBodies[0].rows.length) {
    const cell = table.tBodies[0].insertRow().insertCell();
    cell.colSpan = 5;
    cell.className = "muted";
    cell.textContent = "Every missed call was called back.";
  }
  state.cursor = reply.body.nextCursor;
  $("worklist-total").textContent = "(" + reply.body.total + ")";
  $("worklist-more").hidden = !state.cursor;
}

// --- loading ----------------------------------------------------------------------------------------

// Everything; `worklist: false` (a period chosen) keeps the worklist, and a recording playing in it.
async function load({ worklist = true } = {}) {
  const generation = ++state.generation;  // a later click wins over a slower earlier answer
  $("load-error").textContent = "";
  document.body.classList.add("loading");
  const period = { period: state.period };
  const [overview, employees] = await Promise.all([
    api("/stats/overview" + query(period)), api("/stats/employees" + query(period))]);
  if (generation !== state.generation) return;
  const errors = [];
  if (overview.status === 200) {
    drawOverview(overview.body);
    const range = chartWindow(overview.body);
    $("days-range").textContent = range.from + " – " + range.to;
    const daily = await api("/stats/daily" + query(range));
    if (generation !== state.generation) return;
    if (daily.status === 200) { state.days = daily.body.days; drawCharts(); } else errors.push(refused("Days", daily));
  } else errors.push(refused("Overview", overview));
  if (employees.status === 200) { state.employees = employees.body.employees; drawEmployees(); }
  else errors.push(refused("Employees", employees));
  $("load-error").textContent = errors.join(" · ");
  if (worklist) await loadWorklist(false);
  if (generation === state.generation) {
    document.body.classList.remove("loading");
    document.body.dataset.loaded = state.period;  // the period now shown (tests wait on it)
  }
}

function signedIn(u) {
  $("org-label").hidden = u.role !== "SUPERADMIN";
  choosePeriod(location.hash.slice(1));
  load();
}

function signedOut() {
  state.generation += 1;
  state.worklistGeneration += 1;
  forgetAudio();
  delete document.body.dataset.loaded;
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { if (state.days.length) drawCharts(); }, RESIZE_DELAY_MS);
});
document.querySelectorAll("#periods button").forEach((button) => {
  button.addEventListener("click", () => { choosePeriod(button.dataset.period); load({ worklist: false }); });
});
$("refresh").addEventListener("click", () => load());
$("organization-id").addEventListener("change", () => load());
$("worklist-more").addEventListener("click", () => loadWorklist(true));
startSession(signedIn, signedOut);
