// Two small charts drawn as inline SVG, sized to their box in CSS pixels (so text stays legible on
// a phone): stacked bars of answered and missed calls per day, and a line of the average score.
// Colours come from dashboard.css classes: the page's policy allows no inline style.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const HEIGHT_PX = 220;
const MARGIN = { top: 12, right: 10, bottom: 26, left: 38 };
const MIN_LABEL_GAP_PX = 44;  // a "DD.MM" label and some air
const TICKS = 5;  // about this many steps up the y axis

function node(tag, attributes, parent) {
  const element = document.createElementNS(SVG, tag);
  Object.entries(attributes || {}).forEach(([name, value]) => element.setAttribute(name, String(value)));
  if (parent) parent.appendChild(element);
  return element;
}

function label(parent, x, y, content, className) {
  node("text", { x, y, class: className }, parent).textContent = content;
}

function tooltip(parent, content) { node("title", {}, parent).textContent = content; }

// The axis: a round step (1, 2 or 5 × 10^k, at least `minStep`) giving about TICKS steps, and the
// top of the axis at a whole number of steps at or above `most`.
function axis(most, minStep) {
  const rough = Math.max(most, minStep) / TICKS;
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = Math.max(minStep, [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough));
  return { step, top: Math.max(step, Math.ceil(most / step) * step) };
}

function shortDay(isoDay) {
  const [, month, day] = isoDay.split("-");
  return day + "." + month;
}

// The frame every chart shares: the SVG, its plot area and a y axis from 0 to `scale.top`.
function frame(box, days, scale) {
  const width = Math.max(box.clientWidth || 0, 280);
  const svg = node("svg", { width, height: HEIGHT_PX, viewBox: `0 0 ${width} ${HEIGHT_PX}`, role: "img" });
  const plot = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right,
                 h: HEIGHT_PX - MARGIN.top - MARGIN.bottom };
  const y = (value) => plot.y + plot.h - (value / scale.top) * plot.h;
  for (let step = 0; step * scale.step <= scale.top; step += 1) {
    const value = step * scale.step;
    node("line", { x1: plot.x, x2: plot.x + plot.w, y1: y(value), y2: y(value), class: "grid" }, svg);
    label(svg, plot.x - 4, y(value) + 4, String(Math.round(value * 100) / 100), "axis axis-y");
  }
  const slot = plot.w / Math.max(days.length, 1);
  const every = Math.max(1, Math.ceil(MIN_LABEL_GAP_PX / slot));
  days.forEach((day, i) => {
    if ((days.length - 1 - i) % every === 0) {  // the last day always labelled
      label(svg, plot.x + slot * (i + 0.5), plot.y + plot.h + 16, shortDay(day.date), "axis axis-x");
    }
  });
  box.replaceChildren(svg);
  return { svg, plot, y, slot };
}

function empty(box, message) {
  const p = document.createElement("p");
  p.className = "muted chart-empty";
  p.textContent = message;
  box.replaceChildren(p);
}

// Answered (bottom) and missed (on top) calls of each day.
export function callsChart(box, days) {
  if (!days.length) { empty(box, "No days in this window."); return; }
  const most = Math.max(...days.map((day) => day.answered + day.missed), 0);
  const { svg, plot, y, slot } = frame(box, days, axis(most, 1));  // calls are whole: steps of 1 at least
  svg.setAttribute("aria-label", "Answered and missed calls per day");
  const barWidth = Math.max(2, slot * 0.7);
  days.forEach((day, i) => {
    const group = node("g", { class: "day", "data-date": day.date, "data-answered": day.answered,
                              "data-missed": day.missed }, svg);
    const x = plot.x + slot * i + (slot - barWidth) / 2;
    const answeredTop = y(day.answered);
    node("rect", { x, y: answeredTop, width: barWidth, height: plot.y + plot.h - answeredTop, class: "bar-answered" },
         group);
    const missedTop = y(day.answered + day.missed);
    node("rect", { x, y: missedTop, width: barWidth, height: answeredTop - missedTop, class: "bar-missed" }, group);
    tooltip(group, `${day.date}: ${day.answered} answered, ${day.missed} missed`);
  });
}

// The day's average score on the organization's scale; a day without a score breaks the line.
export function scoreChart(box, days, maxScore) {
  if (!days.some((day) => day.avgScore !== null)) { empty(box, "No scored calls in this window."); return; }
  const { svg, plot, y, slot } = frame(box, days, axis(maxScore, 0));
  svg.setAttribute("aria-label", "Average score per day, out of " + maxScore);
  let run = [];
  const runs = [run];
  days.forEach((day, i) => {
    if (day.avgScore === null) { run = []; runs.push(run); return; }
    run.push([plot.x + slot * (i + 0.5), y(Math.min(day.avgScore, maxScore))]);
  });
  runs.filter((points) => points.length > 1).forEach((points) => {
    node("polyline", { points: points.map((p) => p.join(",")).join(" "), class: "score-line" }, svg);
  });
  days.forEach((day, i) => {
    if (day.avgScore === null) return;
    const dot = node("circle", { cx: plot.x + slot * (i + 0.5), cy: y(Math.min(day.avgScore, maxScore)), r: 3.5,
                                 class: "score-dot", "data-date": day.date, "data-score": day.avgScore }, svg);
    tooltip(dot, `${day.date}: ${day.avgScore} / ${maxScore}`);
  });
}
