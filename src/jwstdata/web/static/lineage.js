// Observation lineage: SVG links between the level columns' cards, redrawn on resize.

const container = document.getElementById("lineage");
const svg = container.querySelector("svg.lineage-links");
const edges = JSON.parse(container.dataset.edges || "[]");
const SVG_NS = "http://www.w3.org/2000/svg";

function anchor(node, side) {
  const box = node.getBoundingClientRect();
  const origin = container.getBoundingClientRect();
  const x = (side === "right" ? box.right : box.left) - origin.left;
  return [x, box.top - origin.top + box.height / 2];
}

function draw() {
  svg.replaceChildren();
  svg.setAttribute("width", container.scrollWidth);
  svg.setAttribute("height", container.scrollHeight);
  let drawn = 0;
  for (const [parentId, childId] of edges) {
    const parent = document.getElementById(`node-${parentId}`);
    const child = document.getElementById(`node-${childId}`);
    if (!parent || !child) continue;
    const [x1, y1] = anchor(parent, "right");
    const [x2, y2] = anchor(child, "left");
    const bend = Math.max(24, Math.abs(x2 - x1) / 2);
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`);
    path.dataset.parent = parentId;
    path.dataset.child = childId;
    svg.appendChild(path);
    drawn += 1;
  }
  container.dataset.links = String(drawn);
}

function highlight(id, on) {
  for (const path of svg.querySelectorAll("path")) {
    if (path.dataset.parent === id || path.dataset.child === id) path.classList.toggle("active", on);
  }
}

for (const node of container.querySelectorAll(".node")) {
  for (const [event, on] of [["mouseenter", true], ["mouseleave", false], ["focus", true], ["blur", false]]) {
    node.addEventListener(event, () => highlight(node.dataset.id, on));
  }
}
new ResizeObserver(draw).observe(container);
draw();
