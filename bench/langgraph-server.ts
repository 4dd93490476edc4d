/**
 * LangGraph's own JS server (`@langchain/langgraph-api`, in-memory) serving the overage graph,
 * on loopback in this child process of the bench. Prints `listening on <url>`; runs until killed.
 * Its in-memory store is flushed to `.langgraph_api` under the working directory, so the bench
 * starts it in a temporary one.
 */
import { join } from "node:path";
import { startServer } from "@langchain/langgraph-api/server";

const workers = Number(process.env.BENCH_LANGGRAPH_WORKERS ?? "8");
const started = await startServer({
  port: 0,
  host: "127.0.0.1",
  nWorkers: workers,
  cwd: process.cwd(),
  graphs: { "overage-remediation": `${join(import.meta.dirname, "langgraph-graph.ts")}:graph` },
} as Parameters<typeof startServer>[0]);
console.log(`listening on http://${started.host}`);
