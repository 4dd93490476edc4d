/**
 * The workflow as LangGraph draws it (mermaid), rendered in the browser by mermaid's own build
 * served from the service: the nodes the run went through marked done, the current one marked.
 * mermaid is loaded only when a run page needs it.
 */
import { h } from "./dom.js";

let mermaidReady;
function loadMermaid() {
  mermaidReady ??= import("/console/vendor/mermaid/mermaid.esm.min.mjs").then(
    ({ default: mermaid }) => {
      mermaid.initialize({
        startOnLoad: false,
        securityLevel: "strict",
        theme: "neutral",
        flowchart: { htmlLabels: false },
      });
      return mermaid;
    },
  );
  return mermaidReady;
}

let drawings = 0;

/** `current`: the node the run is at (or null); `done`: nodes it ran. */
export async function drawGraph(container, source, { current, done = [] }) {
  const known = new Set([...source.matchAll(/^\s*([A-Za-z_][\w]*)\(/gm)].map((match) => match[1]));
  const marks = [
    "classDef done fill:#e7f6ec,stroke:#2f855a;",
    "classDef current fill:#fde68a,stroke:#b45309,stroke-width:3px;",
  ];
  const ran = done.filter((node) => known.has(node) && node !== current);
  if (ran.length > 0) marks.push(`class ${ran.join(",")} done;`);
  if (current && known.has(current)) marks.push(`class ${current} current;`);
  // LangGraph puts HTML in the start/end labels; plain text draws the same without HTML labels.
  const text = `${source.replaceAll("<p>", "").replaceAll("</p>", "")}\n\t${marks.join("\n\t")}\n`;
  try {
    const mermaid = await loadMermaid();
    const { svg } = await mermaid.render(`workflow-graph-${++drawings}`, text);
    const drawing = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
    drawing.setAttribute("role", "img");
    drawing.setAttribute(
      "aria-label",
      `Workflow graph${current ? `, current step ${current}` : ""}`,
    );
    container.replaceChildren(document.importNode(drawing, true));
  } catch (error) {
    container.replaceChildren(
      h("p", { class: "muted" }, `The graph could not be drawn: ${error.message}`),
    );
  }
}
