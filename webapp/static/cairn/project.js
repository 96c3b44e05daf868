// The project page: the runs table, and the charts and media workspaces over
// the runs it selects (selection.js).
import { mountWorkspaceMedia } from "./media.js";
import { mountRunsTable } from "./runs_table.js";
import { jsonScript, pageData } from "./util.js";
import { mountWorkspace } from "./workspace.js";

const page = pageData();
// The table first: until someone picks runs, the charts show its first rows.
mountRunsTable(document.getElementById("runs-table"), page, jsonScript("runs-table-data"));
mountWorkspace(document.getElementById("workspace"), page);
mountWorkspaceMedia(document.getElementById("workspace-media"), page);
