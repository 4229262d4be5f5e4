// Observation lineage: SVG links between the level columns' cards, redrawn on resize.
// Side by side, a link runs from a card's right edge to the next column's left edge; a card
// with several links spreads their ends along its edge (ordered by the other end's height),
// so lines into a stage-3 product stay apart. Stacked (phones), links run in the left
// gutter, never across the cards in between.

const container = document.getElementById("lineage");
const svg = container.querySelector("svg.lineage-links");
const edges = JSON.parse(container.dataset.edges || "[]");
const SVG_NS = "http://www.w3.org/2000/svg";
const GUTTER = 24; // px of left padding the stylesheet gives the stacked layout
const MARGIN = 0.15; // of a card's height kept free of link ends, top and bottom

function box(node) {
  const b = node.getBoundingClientRect();
  const origin = container.getBoundingClientRect();
  return { left: b.left - origin.left, right: b.right - origin.left, top: b.top - origin.top, height: b.height };
}

// Where on its edge each link end sits: ends of one card, sorted by the other end's height.
function spreadEnds(links, own, other) {
  const groups = new Map();
  for (const link of links) {
    const key = link[own].id;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(link);
  }
  for (const group of groups.values()) {
    group.sort((a, b) => a[other].box.top - b[other].box.top || a.index - b.index);
    group.forEach((link, i) => {
      const b = link[own].box;
      const usable = b.height * (1 - 2 * MARGIN);
      const y = b.top + b.height * MARGIN + (usable * (i + 1)) / (group.length + 1);
      link[`${own}Y`] = y;
    });
  }
}

function isStacked() {
  const columns = container.querySelectorAll(".lineage-column");
  if (columns.length < 2) return false;
  return columns[1].getBoundingClientRect().top >= columns[0].getBoundingClientRect().bottom - 1;
}

function path(link, stacked, lane) {
  const { parent, child, parentY: y1, childY: y2 } = link;
  if (!stacked && Math.abs(child.box.left - parent.box.left) < 1) {
    // Within one column (e.g. a catalogue made from an i2d): a loop out to the right.
    const x = parent.box.right;
    const out = 28;
    return `M ${x} ${y1} C ${x + out} ${y1}, ${x + out} ${y2}, ${x} ${y2}`;
  }
  if (!stacked) {
    const x1 = parent.box.right;
    const x2 = child.box.left;
    const bend = Math.max(24, Math.abs(x2 - x1) / 2);
    return `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
  }
  // Out of the parent's left edge into the gutter, down, and into the child's left edge.
  const gx = Math.max(2, GUTTER - 4 - lane * 3);
  const x1 = parent.box.left;
  const x2 = child.box.left;
  return `M ${x1} ${y1} H ${gx} V ${y2} H ${x2}`;
}

function draw() {
  svg.replaceChildren();
  svg.setAttribute("width", container.scrollWidth);
  svg.setAttribute("height", container.scrollHeight);
  const links = [];
  edges.forEach(([parentId, childId], index) => {
    const parent = document.getElementById(`node-${parentId}`);
    const child = document.getElementById(`node-${childId}`);
    if (!parent || !child) return;
    links.push({
      index,
      parentId,
      childId,
      parent: { id: parentId, box: box(parent) },
      child: { id: childId, box: box(child) },
    });
  });
  spreadEnds(links, "parent", "child");
  spreadEnds(links, "child", "parent");
  const stacked = isStacked();
  links.forEach((link, i) => {
    const element = document.createElementNS(SVG_NS, "path");
    element.setAttribute("d", path(link, stacked, i % 6));
    element.dataset.parent = link.parentId;
    element.dataset.child = link.childId;
    svg.appendChild(element);
  });
  container.dataset.links = String(links.length);
  container.dataset.layout = stacked ? "stacked" : "columns";
}

function highlight(id, on) {
  for (const element of svg.querySelectorAll("path")) {
    if (element.dataset.parent === id || element.dataset.child === id) element.classList.toggle("active", on);
  }
}

for (const node of container.querySelectorAll(".node")) {
  for (const [event, on] of [["mouseenter", true], ["mouseleave", false], ["focus", true], ["blur", false]]) {
    node.addEventListener(event, () => highlight(node.dataset.id, on));
  }
}
new ResizeObserver(draw).observe(container);
draw();
