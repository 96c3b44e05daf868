// The report reader's panel data, fetched as soon as this module runs: the page
// loads it `async`, so the answers (already on their way: the <link rel=preload>s
// in the head asked for them) are parsed while the chart code still loads.
// report.js takes these promises, one per group of panels.
import { pageData } from "./util.js";

export const earlyData = pageData().dataUrls.map((url) => fetch(url, { credentials: "same-origin" }).then(async (response) => {
  const data = await response.json();
  if (!response.ok) throw new Error((data && data.error) || response.statusText);
  return data;
}));
