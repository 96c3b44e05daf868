// A version's page: its lineage graph and the diff with another version.
import { artifactDiff } from "./artifact_diff.js";
import { lineageGraph } from "./lineage.js";
import { pageData } from "./util.js";

const page = pageData();
const lineage = lineageGraph(page.lineage);
document.getElementById("lineage-section").append(lineage.box);
const diff = artifactDiff(page.diff, page.versions, page.version);
document.getElementById("diff-section").append(diff.box);
for (const view of [lineage, diff]) view.load().catch((e) => console.error(e));
