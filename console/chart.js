/** Usage by group as a horizontal bar chart in inline SVG: the largest groups, the rest summed. */
import { plain } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const MOST_BARS = 8;
const ROW = 26;
const LABEL_WIDTH = 180;
const VALUE_WIDTH = 70;
const WIDTH = 560;
const number = new Intl.NumberFormat();

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = plain(text);
  return element;
}

/** `byGroup`: { group: count }. `what` names the grouping ("endpoint"). */
export function usageChart(byGroup, { what = "group", total, limit } = {}) {
  const entries = Object.entries(byGroup ?? {}).sort((a, b) => b[1] - a[1]);
  const bars = entries.slice(0, MOST_BARS);
  const rest = entries.slice(MOST_BARS).reduce((sum, [, count]) => sum + count, 0);
  if (rest > 0) bars.push([`${entries.length - MOST_BARS} more`, rest]);
  const largest = Math.max(1, ...bars.map(([, count]) => count));
  const height = Math.max(1, bars.length) * ROW + 8;
  const summary = bars.map(([group, count]) => `${group}: ${number.format(count)}`).join(", ");
  const name = `Usage by ${what}`;
  const chart = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${height}`,
    class: "chart",
    role: "img",
    "aria-label": plain(`${name}: ${summary || "no usage"}`),
  });
  chart.append(
    svg(
      "title",
      {},
      `${name}${total !== undefined ? ` (total ${number.format(total)}${limit ? ` of ${number.format(limit)}` : ""})` : ""}`,
    ),
  );
  const barSpace = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  bars.forEach(([group, count], index) => {
    const y = index * ROW + 4;
    const label = group.length > 26 ? `${group.slice(0, 25)}…` : group;
    chart.append(
      svg(
        "text",
        { x: LABEL_WIDTH - 8, y: y + 15, "text-anchor": "end", class: "chart-label" },
        label,
      ),
      svg("rect", {
        x: LABEL_WIDTH,
        y,
        width: Math.max(2, (count / largest) * barSpace),
        height: ROW - 8,
        rx: 3,
        class: "chart-bar",
      }),
      svg(
        "text",
        { x: LABEL_WIDTH + (count / largest) * barSpace + 6, y: y + 15, class: "chart-value" },
        number.format(count),
      ),
    );
  });
  return chart;
}
