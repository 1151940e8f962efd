// Downloading a model through the server's pull route, in a cancellable notification with the
// percentage, the bytes, the rate and the time left. Cancelling keeps the partial files, so the
// next download of the same model resumes.
import * as vscode from "vscode";
import { formatBytes } from "../core/store/diskSpace";
import { formatTimeLeft } from "../core/store/transferProgress";
import type { PullProgressEvent } from "../core/protocol/api";
import type { ApiClient } from "./apiClient";

/** Resolves to the model's id once downloaded, or undefined when the user cancelled. */
export async function downloadWithProgress(client: ApiClient, model: string, log: vscode.LogOutputChannel): Promise<string | undefined> {
  log.info(`downloading ${model}`);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Squeeze: downloading ${model}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      try {
        const id = await client.pull(
          model,
          (p) => {
            // withProgress adds increments; report the growth since the last event.
            progress.report({ increment: Math.max(0, p.percent - reported), message: describeProgress(p) });
            reported = Math.max(reported, p.percent);
          },
          abort.signal,
        );
        log.info(`downloaded ${id}`);
        return id;
      } catch (err) {
        if (token.isCancellationRequested) {
          log.info(`download of ${model} cancelled; downloading it again resumes`);
          return undefined;
        }
        throw err;
      }
    },
  );
}

export function describeProgress(p: PullProgressEvent): string {
  if (p.phase !== "downloading" || p.bytes_total === 0) return p.phase;
  const eta = p.eta_seconds === null ? "" : `, ${formatTimeLeft(p.eta_seconds)}`;
  return `${p.percent}% · ${formatBytes(p.bytes_downloaded)} of ${formatBytes(p.bytes_total)} · ${formatBytes(p.bytes_per_second)}/s${eta}`;
}
